/** What both live transports (SSE and WebSocket) offer the app, so the user cannot tell them apart. */
import type { StreamEvent } from "../api/events";
import type { Phase } from "../state/reducer";

export type TransportName = "sse" | "ws";

export interface StreamHandlers {
  /** One parsed event, in stream order. */
  onEvent(event: StreamEvent): void;
  /** The connection is up (`live`) or down and being retried (`reconnecting`). */
  onPhase(phase: Phase): void;
  /** The connection failed; the app checks whether a login is what is missing. */
  onTrouble(): void;
}

export interface LiveStream {
  /** Stop for good: no more events, no more reconnects. */
  close(): void;
  /** Drop the connection at once (without waiting for it to close) and open a new one: for a
   * connection that looks open but carries nothing (`watchdog.ts`). */
  restart(): void;
  /** The id of the last event seen (what a resume continues from). */
  lastEventId(): string | null;
}

/** `url` with `last_event_id=<id>` added, for a resume on a connection the app opens itself. */
export function withResume(url: string, lastEventId: string | null): string {
  if (lastEventId === null) return url;
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}last_event_id=${encodeURIComponent(lastEventId)}`;
}

/** Decode one JSON text; `undefined` when it is not JSON (dropped by the caller). */
export function decodeJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
