/** Timers behind a tiny interface, so the transports' reconnect logic is unit-testable. */
export interface Scheduler {
  /** Run `task` after `ms`; the returned function cancels it. */
  after(ms: number, task: () => void): () => void;
  random(): number;
}

export const browserScheduler: Scheduler = {
  after(ms, task) {
    const handle = setTimeout(task, ms);
    return () => {
      clearTimeout(handle);
    };
  },
  random: () => Math.random(),
};
