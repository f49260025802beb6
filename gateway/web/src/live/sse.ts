/**
 * The default transport: `EventSource` on `/api/events`.
 *
 * While the connection drops on the network, the browser reconnects by itself and sends the
 * `Last-Event-ID` header, so the gateway replays exactly what was missed (or sends `reset` +
 * `snapshot` when that is too old). But an HTTP error answer (401, 503, or a 502 from a proxy while
 * the gateway restarts) makes `EventSource` give up for good (HTML spec, "fail the connection"):
 * then this module opens a new one after a jittered backoff. A new `EventSource` cannot send the
 * header, so that stream starts with a `snapshot`, which the reducer merges by seq.
 */
import { EVENT_TYPES, parseEvent } from "../api/events";
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from "./backoff";
import { browserScheduler, type Scheduler } from "./scheduler";
import { decodeJson, type LiveStream, type StreamHandlers } from "./stream";

/** `EventSource.CLOSED`, spelled out so this module also loads where `EventSource` is absent. */
const CLOSED = 2;

export interface SseOptions {
  backoff?: BackoffOptions;
  scheduler?: Scheduler;
  create?: (url: string) => EventSource;
}

export function openSse(url: string, handlers: StreamHandlers, options: SseOptions = {}): LiveStream {
  const scheduler = options.scheduler ?? browserScheduler;
  const create = options.create ?? ((target: string) => new EventSource(target));
  let lastEventId: string | null = null;
  let source: EventSource | null = null;
  let cancelRetry: (() => void) | null = null;
  let attempt = 0;
  let closed = false;

  const connect = (): void => {
    cancelRetry = null;
    const current = create(url);
    source = current;
    current.onopen = () => {
      attempt = 0;
      handlers.onPhase("live");
    };
    for (const type of EVENT_TYPES) {
      current.addEventListener(type, (message: MessageEvent) => {
        // The spec keeps the last id across events without an `id:` line (such as `reset`).
        if (message.lastEventId) lastEventId = message.lastEventId;
        const event = parseEvent(type, decodeJson(message.data), message.lastEventId || null);
        if (event !== null) handlers.onEvent(event);
      });
    }
    current.onerror = () => {
      if (closed || source !== current) return;
      handlers.onPhase("reconnecting");
      handlers.onTrouble();
      if (current.readyState === CLOSED) {
        source = null;
        cancelRetry = scheduler.after(
          backoffDelay(attempt++, options.backoff ?? DEFAULT_BACKOFF, () => scheduler.random()),
          connect,
        );
      }
    };
  };

  connect();
  return {
    close() {
      closed = true;
      cancelRetry?.();
      source?.close();
      source = null;
    },
    restart() {
      if (closed) return;
      cancelRetry?.();
      source?.close();
      handlers.onPhase("reconnecting");
      connect();
    },
    lastEventId: () => lastEventId,
  };
}
