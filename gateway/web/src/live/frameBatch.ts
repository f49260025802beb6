/**
 * Events collected between two animation frames and handed over as one batch, so a fleet that
 * sends 1,000 readings/s costs one React render per frame instead of one per reading (issue 15).
 *
 * A hidden tab gets no animation frames: then a timer flushes instead, so the queue never grows
 * while nobody looks. At MAX_BATCH events the batch flushes at once: the bound on what waits.
 */
export const MAX_BATCH = 5_000;
const HIDDEN_FLUSH_MS = 250;

export interface FrameClock {
  /** Run `task` before the next frame is painted (or soon, when no frames come); returns a
   * function that cancels it. */
  next(task: () => void): () => void;
}

export const browserFrameClock: FrameClock = {
  next(task) {
    if (typeof document !== "undefined" && document.hidden) {
      const timer = setTimeout(task, HIDDEN_FLUSH_MS);
      return () => {
        clearTimeout(timer);
      };
    }
    const frame = requestAnimationFrame(task);
    return () => {
      cancelAnimationFrame(frame);
    };
  },
};

export interface FrameBatch<T> {
  push(item: T): void;
  /** Hand over what waits now (e.g. before the stream closes). */
  flush(): void;
  /** Drop what waits and stop. */
  close(): void;
}

export function frameBatch<T>(deliver: (items: T[]) => void, clock: FrameClock = browserFrameClock): FrameBatch<T> {
  let waiting: T[] = [];
  let cancel: (() => void) | null = null;
  let closed = false;
  const flush = (): void => {
    if (cancel !== null) {
      cancel();
      cancel = null;
    }
    if (waiting.length === 0) return;
    const items = waiting;
    waiting = [];
    deliver(items);
  };
  return {
    push(item) {
      if (closed) return;
      waiting.push(item);
      if (waiting.length >= MAX_BATCH) flush();
      else
        cancel ??= clock.next(() => {
          cancel = null;
          flush();
        });
    },
    flush,
    close() {
      closed = true;
      waiting = [];
      if (cancel !== null) cancel();
      cancel = null;
    },
  };
}
