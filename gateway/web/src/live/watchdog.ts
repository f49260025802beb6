/**
 * Notices a stream that says it is live while the gateway is gone.
 *
 * A connection whose far end vanished without closing it (the gateway's host lost power, a network
 * path died) looks open to the browser until TCP gives up, which can take hours: `EventSource`
 * fires nothing, and the gateway's keep-alive comments are invisible to the page. So while the
 * stream is live but quiet for `intervalMs`, the watchdog asks the gateway something cheap over a
 * fresh connection (`/readyz`, with its own timeout). No answer: the stream is restarted, which
 * shows "reconnecting" until the gateway answers again. A stream that carries events is never
 * probed.
 */
import { browserScheduler, type Scheduler } from "./scheduler";

/** How long a live stream may stay quiet before the gateway is probed. */
export const DEFAULT_QUIET_MS = 30_000;
/** How long a probe may take before the gateway counts as gone. */
export const PROBE_TIMEOUT_MS = 5_000;

export interface WatchdogOptions {
  quietMs: number;
  /** Milliseconds since the stream last showed life (an event, or (re)opening). */
  quietFor(): number;
  /** True while the stream claims to be live. */
  live(): boolean;
  /** Whether the gateway answers at all (any HTTP status) within the probe's timeout. */
  reachable(): Promise<boolean>;
  /** The gateway did not answer while the stream claimed to be live. */
  onDead(): void;
  scheduler?: Scheduler;
}

/** Start watching; the returned function stops it. Probes never overlap. */
export function watchLiveness(options: WatchdogOptions): () => void {
  const scheduler = options.scheduler ?? browserScheduler;
  let stopped = false;
  let cancel: (() => void) | null = null;

  const schedule = (): void => {
    if (!stopped) cancel = scheduler.after(options.quietMs / 2, tick);
  };
  const tick = (): void => {
    cancel = null;
    if (stopped) return;
    if (!options.live() || options.quietFor() < options.quietMs) {
      schedule();
      return;
    }
    void options
      .reachable()
      .catch(() => false)
      .then((answered) => {
        if (!answered && !stopped && options.live()) options.onDead();
      })
      .finally(schedule);
  };

  schedule();
  return () => {
    stopped = true;
    cancel?.();
  };
}

/** `?probe=<seconds>` in the page's URL overrides the quiet time (diagnostics, tests). */
export function quietMsFrom(search: string): number {
  const seconds = Number(new URLSearchParams(search).get("probe"));
  return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1000 : DEFAULT_QUIET_MS;
}
