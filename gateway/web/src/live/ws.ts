/**
 * The WebSocket transport: `/api/ws`, the same events as `{"id", "type", "data"}` frames.
 *
 * A browser never reconnects a WebSocket by itself, so this module does what `EventSource` does
 * natively: on every close it waits a jittered, growing delay and reconnects with
 * `?last_event_id=<the last id seen>`, so the gateway resumes exactly where the stream stopped
 * (or sends `reset` + `snapshot`). The delay grows only while attempts fail: the attempt count
 * resets when a frame arrives, not merely on open, so a server that accepts and drops at once
 * cannot make it spin.
 */
import { parseEvent } from "../api/events";
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from "./backoff";
import { browserScheduler, type Scheduler } from "./scheduler";
import { decodeJson, withResume, type LiveStream, type StreamHandlers } from "./stream";

/** The part of `WebSocket` this module uses (a fake one in unit tests). */
export interface SocketLike {
  onopen: ((this: never, ev: Event) => unknown) | null;
  onmessage: ((this: never, ev: MessageEvent) => unknown) | null;
  onclose: ((this: never, ev: CloseEvent) => unknown) | null;
  onerror: ((this: never, ev: Event) => unknown) | null;
  close(code?: number, reason?: string): void;
}

export interface WsOptions {
  resumeFrom?: string | null;
  backoff?: BackoffOptions;
  scheduler?: Scheduler;
  create?: (url: string) => SocketLike;
}

/** `api/ws` relative to the page, as an absolute `ws:`/`wss:` URL (a WebSocket needs one). */
export function webSocketUrl(path: string, base: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function openWs(url: string, handlers: StreamHandlers, options: WsOptions = {}): LiveStream {
  const scheduler = options.scheduler ?? browserScheduler;
  const create = options.create ?? ((target: string) => new WebSocket(target));
  let lastEventId = options.resumeFrom ?? null;
  let socket: SocketLike | null = null;
  let cancelRetry: (() => void) | null = null;
  let attempt = 0;
  let closed = false;

  const connect = (): void => {
    cancelRetry = null;
    const current = create(withResume(url, lastEventId));
    socket = current;
    current.onopen = () => {
      handlers.onPhase("live");
    };
    current.onmessage = (message: MessageEvent) => {
      attempt = 0;
      const frame = decodeJson(message.data);
      if (typeof frame !== "object" || frame === null || !("type" in frame)) return;
      const { type } = frame;
      const id = "id" in frame && typeof frame.id === "string" ? frame.id : null;
      if (typeof type !== "string") return;
      if (id !== null) lastEventId = id;
      const event = parseEvent(type, "data" in frame ? frame.data : undefined, id);
      if (event !== null) handlers.onEvent(event);
    };
    current.onerror = () => {
      // A close event always follows an error; reconnecting is handled there, once.
    };
    current.onclose = () => {
      if (closed || socket !== current) return;
      socket = null;
      handlers.onPhase("reconnecting");
      handlers.onTrouble();
      cancelRetry = scheduler.after(
        backoffDelay(attempt++, options.backoff ?? DEFAULT_BACKOFF, () => scheduler.random()),
        connect,
      );
    };
  };

  connect();
  return {
    close() {
      closed = true;
      cancelRetry?.();
      socket?.close(1000, "closed by the page");
      socket = null;
    },
    restart() {
      if (closed) return;
      cancelRetry?.();
      // Detached first: a close handshake with a peer that is gone may take long, and its close
      // event must not schedule a second connection.
      const old = socket;
      socket = null;
      old?.close(4000, "no sign of life");
      handlers.onPhase("reconnecting");
      connect();
    },
    lastEventId: () => lastEventId,
  };
}
