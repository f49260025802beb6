/** Fakes for the transports' unit tests: a manual scheduler and recording handlers. */
import type { StreamEvent } from "../api/events";
import type { Phase } from "../state/reducer";
import type { Scheduler } from "./scheduler";
import type { StreamHandlers } from "./stream";

export class ManualScheduler implements Scheduler {
  tasks: { ms: number; task: () => void; cancelled: boolean }[] = [];

  after(ms: number, task: () => void): () => void {
    const entry = { ms, task, cancelled: false };
    this.tasks.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  random(): number {
    return 0.5;
  }

  /** Run every pending task; returns the delays they were scheduled with. */
  runAll(): number[] {
    const due = this.tasks.filter((entry) => !entry.cancelled);
    this.tasks = [];
    for (const entry of due) entry.task();
    return due.map((entry) => entry.ms);
  }

  pending(): number {
    return this.tasks.filter((entry) => !entry.cancelled).length;
  }
}

export class RecordingHandlers implements StreamHandlers {
  events: StreamEvent[] = [];
  phases: Phase[] = [];
  troubles = 0;

  onEvent = (event: StreamEvent): void => {
    this.events.push(event);
  };

  onPhase = (phase: Phase): void => {
    this.phases.push(phase);
  };

  onTrouble = (): void => {
    this.troubles++;
  };
}
