/**
 * The one React hook that connects the pure reducer to the world: it opens the chosen transport,
 * feeds every event into the reducer, loads sparkline history after each snapshot, asks `/readyz`
 * whether the gateway has its broker, restarts a stream that looks live while the gateway is gone
 * (`watchdog.ts`), ticks the clock for "… ago" and staleness, sends commands, and notices when the
 * gateway wants a login.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";

import {
  HttpError,
  gatewayAnswers,
  getHistory,
  getSession,
  isReady,
  logIn,
  logOut,
  sendCommand,
} from "../api/client";
import type { StreamEvent } from "../api/events";
import type { Device, Session, Value } from "../api/types";
import { describeCommandFailure } from "../state/format";
import { HISTORY_LIMIT, initialState, isBinaryKind, reduce, type State } from "../state/reducer";
import { openSse } from "./sse";
import type { LiveStream, StreamHandlers, TransportName } from "./stream";
import { PROBE_TIMEOUT_MS, quietMsFrom, watchLiveness } from "./watchdog";
import { openWs, webSocketUrl } from "./ws";

/** `checking` until the first answer; `login` while the gateway answers 401. */
export type AuthState = "checking" | "ready" | "login";

const TRANSPORT_KEY = "pigw.transport";
const TICK_MS = 1000;
/** History requests in flight at once after a snapshot (a board may have dozens of sensors). */
const HISTORY_CONCURRENCY = 4;

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

    const loadHistory = (devices: readonly Device[]): void => {
      const jobs = devices.flatMap((device) =>
        Object.keys(device.sensors)
          .filter((sensor) => !isBinaryKind(device.meta?.sensors?.[sensor]?.kind))
          .map((sensor) => ({ device: device.id, sensor })),
      );
      const worker = async (): Promise<void> => {
        for (let job = jobs.shift(); job !== undefined && active(); job = jobs.shift()) {
          try {
            const page = await getHistory(job.device, job.sensor, HISTORY_LIMIT);
            if (active()) dispatch({ type: "history", ...job, readings: page.readings ?? [] });
          } catch {
            // No history for this sensor now: its sparkline fills from live readings instead.
          }
        }
      };
      for (let i = 0; i < HISTORY_CONCURRENCY; i++) void worker();
    };

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
        dispatch({ type: "event", event, now: Date.now() });
        if (event.type === "snapshot") {
          checkReadiness();
          loadHistory(event.data.devices);
        }
      },
      onPhase(phase) {
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
    };
  }, [auth, transport, probeAuth]);

  const setTransport = useCallback((next: TransportName) => {
    writeStorage(TRANSPORT_KEY, next);
    setTransportState(next);
  }, []);

  const send = useCallback((device: string, actuator: string, value: Value) => {
    const id = ++commandIds.current;
    dispatch({ type: "commandSent", device, actuator, value, id });
    sendCommand(device, actuator, value)
      .then((ack) => {
        dispatch({ type: "commandAcked", device, actuator, id, ack });
      })
      .catch((error: unknown) => {
        const reason =
          error instanceof HttpError
            ? describeCommandFailure(error.status, error.detail)
            : "the gateway could not be reached";
        dispatch({ type: "commandFailed", device, actuator, id, reason });
        if (error instanceof HttpError && error.status === 401) setAuth("login");
      });
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
