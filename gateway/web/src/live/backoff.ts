/**
 * Reconnect delays: exponential, capped, with jitter, so that a gateway restart does not meet
 * every browser at the same instant (the "thundering herd"), yet the first retry is quick.
 */
export interface BackoffOptions {
  /** The ceiling of the first delay (ms). */
  baseMs: number;
  /** No delay is longer than this (ms). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 15_000 };

/**
 * The delay before reconnect attempt `attempt` (0 for the first): "equal jitter", half of the
 * exponential ceiling plus a random share of the other half, so it is never zero and never longer
 * than the cap.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
