/**
 * The one React hook that connects the pure reducer to the world: it opens the chosen transport,
 * feeds the events into the reducer once per animation frame (`frameBatch.ts`), asks `/readyz`
 * whether the gateway has its broker, restarts a stream that looks live while the gateway is gone
 * (`watchdog.ts`), ticks the clock for "… ago" and staleness, sends commands, and notices when the
 * gateway wants a login.
 *
 * The fleet loads no history at all: its sparklines fill from live readings (issue 15: one
 * history request per sensor was 240 requests and 19.6 s to settle at 40 devices). A device page
 * asks the recorder for what it shows (`pages/DevicePage.tsx`).
 *
 * Commands: one in flight per actuator. A command sent while another to the same actuator is
 * pending waits, and only the last such wish is sent when the first settles (a dragged dimmer
 * sends where it was let go, never a queue of every step); switches are locked meanwhile.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";

import {
  HttpError,
  gatewayAnswers,
  getSession,
  isReady,
  logIn,
  logOut,
  sendCommand,
} from "../api/client";
import type { StreamEvent } from "../api/events";
import type { Session, Value } from "../api/types";
import { describeCommandFailure } from "../state/format";
import { commandKey, initialState, reduce, type State } from "../state/reducer";
import { frameBatch } from "./frameBatch";
import { openSse } from "./sse";
import type { LiveStream, StreamHandlers, TransportName } from "./stream";
import { PROBE_TIMEOUT_MS, quietMsFrom, watchLiveness } from "./watchdog";
import { openWs, webSocketUrl } from "./ws";

/** `checking` until the first answer; `login` while the gateway answers 401. */
export type AuthState = "checking" | "ready" | "login";

const TRANSPORT_KEY = "pigw.transport";
const TICK_MS = 1000;

export interface Dashboard {
  state: State;
  auth: AuthState;
  loginError: string | null;
  /** Who the gateway says this browser is; `null` until it answered. */
  session: Session | null;
  transport: TransportName;
  setTransport: (transport: TransportName) => void;
  send: (device: string, actuator: string, value: Value) => void;
  login: (token: string) => Promise<void>;
  logout: () => Promise<void>;
}

export function initialTransport(search: string, stored: string | null): TransportName {
  const fromUrl = new URLSearchParams(search).get("transport");
  if (fromUrl === "ws" || fromUrl === "sse") return fromUrl;
  return stored === "ws" ? "ws" : "sse";
}

function readStorage(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled (private mode, policy): settings just do not persist
  }
}

function writeStorage(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // see readStorage
  }
}

export function useDashboard(): Dashboard {
  const [state, dispatch] = useReducer(reduce, undefined, () => initialState(Date.now()));
  const [auth, setAuth] = useState<AuthState>("checking");
  const [loginError, setLoginError] = useState<string | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [transport, setTransportState] = useState<TransportName>(() =>
    initialTransport(window.location.search, readStorage(TRANSPORT_KEY)),
  );
  const lastEventId = useRef<string | null>(null);
  const probing = useRef(false);
  const brokerEvents = useRef(0);
  const commandIds = useRef(0);
  /** Per actuator (`commandKey`): a command is in flight; and the last wish waiting for it. */
  const inFlight = useRef(new Set<string>());
  const waitingWish = useRef(new Map<string, Value>());

  /** Ask the gateway who we are: 401 means it wants a login; anything else leaves the stream to
   * retry. */
  const probeAuth = useCallback((): Promise<void> => {
    if (probing.current) return Promise.resolve();
    probing.current = true;
    return getSession()
      .then(
        (answer) => {
          setSession(answer);
          setAuth("ready");
        },
        (error: unknown) => {
          if (error instanceof HttpError && error.status === 401) setAuth("login");
          else setAuth((current) => (current === "checking" ? "ready" : current));
        },
      )
      .finally(() => {
        probing.current = false;
      });
  }, []);

  useEffect(() => {
    void probeAuth();
  }, [probeAuth]);

  useEffect(() => {
    const timer = setInterval(() => {
      dispatch({ type: "tick", now: Date.now() });
    }, TICK_MS);
    return () => {
      clearInterval(timer);
    };
  }, []);

  useEffect(() => {
    if (auth !== "ready") return;
    let stopped = false;
    // A function, not the variable: TypeScript would narrow `stopped` across an `await`.
    const active = (): boolean => !stopped;

    const checkReadiness = (): void => {
      // A `broker` event that arrives while /readyz is on its way is newer than its answer.
      const seen = brokerEvents.current;
      isReady()
        .then((ready) => {
          if (active() && seen === brokerEvents.current) dispatch({ type: "readiness", ready });
        })
        .catch(() => undefined); // unreachable gateway: the transport already says reconnecting
    };

    const batch = frameBatch<StreamEvent>((events) => {
      if (active()) dispatch({ type: "events", events, now: Date.now() });
    });

    // What the watchdog reads: whether the stream says it is live, and when it last showed life.
    let live = false;
    let lifeSign = Date.now();

    // The WebSocket resumes from the last id seen, also when the user just switched transports;
    // a new EventSource cannot (it has no way to send the header) and starts from a snapshot.
    const handlers: StreamHandlers = {
      onEvent(event: StreamEvent) {
        lifeSign = Date.now();
        if (event.id !== null) lastEventId.current = event.id;
        if (event.type === "broker") brokerEvents.current++;
        batch.push(event);
        if (event.type === "snapshot") checkReadiness();
      },
      onPhase(phase) {
        batch.flush(); // what arrived before the phase change is shown before it
        live = phase === "live";
        lifeSign = Date.now();
        dispatch({ type: "phase", phase });
        if (phase === "live") checkReadiness();
      },
      onTrouble() {
        void probeAuth();
      },
    };
    const stream: LiveStream =
      transport === "ws"
        ? openWs(webSocketUrl("api/ws", document.baseURI), handlers, {
            resumeFrom: lastEventId.current,
          })
        : openSse("api/events", handlers);
    const stopWatchdog = watchLiveness({
      quietMs: quietMsFrom(window.location.search),
      quietFor: () => Date.now() - lifeSign,
      live: () => live,
      reachable: () => gatewayAnswers(PROBE_TIMEOUT_MS),
      onDead: () => {
        stream.restart();
      },
    });
    return () => {
      stopped = true;
      stopWatchdog();
      stream.close();
      batch.close();
    };
  }, [auth, transport, probeAuth]);

  const setTransport = useCallback((next: TransportName) => {
    writeStorage(TRANSPORT_KEY, next);
    setTransportState(next);
  }, []);

  const send = useCallback((device: string, actuator: string, value: Value) => {
    const key = commandKey(device, actuator);
    const transmit = (wish: Value): void => {
      inFlight.current.add(key);
      const id = ++commandIds.current;
      dispatch({ type: "commandSent", device, actuator, value: wish, id });
      sendCommand(device, actuator, wish)
        .then((ack) => {
          dispatch({ type: "commandAcked", device, actuator, id, ack, now: Date.now() });
        })
        .catch((error: unknown) => {
          const reason =
            error instanceof HttpError
              ? describeCommandFailure(error.status, error.detail)
              : "the gateway could not be reached";
          const timedOut = error instanceof HttpError && error.status === 504;
          dispatch({ type: "commandFailed", device, actuator, id, reason, timedOut, now: Date.now() });
          if (error instanceof HttpError && error.status === 401) setAuth("login");
        })
        .finally(() => {
          inFlight.current.delete(key);
          const next = waitingWish.current.get(key);
          if (next !== undefined) {
            waitingWish.current.delete(key);
            transmit(next);
          }
        });
    };
    if (inFlight.current.has(key)) waitingWish.current.set(key, value);
    else transmit(value);
  }, []);

  const login = useCallback(async (token: string) => {
    setLoginError(null);
    try {
      setSession(await logIn(token));
      setAuth("ready");
    } catch (error) {
      setLoginError(
        error instanceof HttpError && error.status === 401
          ? "That token was not accepted."
          : "The gateway could not be reached. Try again in a moment.",
      );
    }
  }, []);

  const logout = useCallback(async () => {
    try {
      await logOut();
    } finally {
      setSession(null);
      setAuth("checking");
      await probeAuth();
    }
  }, [probeAuth]);

  return { state, auth, loginError, session, transport, setTransport, send, login, logout };
}
