import { describe, expect, it } from "vitest";

import { frameBatch, MAX_BATCH, type FrameClock } from "./frameBatch";

function manualClock(): FrameClock & { frame: () => void; pending: () => number } {
  let tasks: (() => void)[] = [];
  return {
    next(task) {
      tasks.push(task);
      return () => {
        tasks = tasks.filter((t) => t !== task);
      };
    },
    frame() {
      const run = tasks;
      tasks = [];
      for (const task of run) task();
    },
    pending: () => tasks.length,
  };
}

describe("frameBatch", () => {
  it("hands over everything of one frame at once, in order", () => {
    const clock = manualClock();
    const batches: number[][] = [];
    const batch = frameBatch<number>((items) => batches.push(items), clock);
    batch.push(1);
    batch.push(2);
    batch.push(3);
    expect(clock.pending()).toBe(1); // one frame asked for, not three
    clock.frame();
    batch.push(4);
    clock.frame();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("flushes at once at the bound, and close drops what waits", () => {
    const clock = manualClock();
    const sizes: number[] = [];
    const batch = frameBatch<number>((items) => sizes.push(items.length), clock);
    for (let i = 0; i < MAX_BATCH; i++) batch.push(i);
    expect(sizes).toEqual([MAX_BATCH]);
    batch.push(1);
    batch.close();
    clock.frame();
    batch.push(2);
    expect(sizes).toEqual([MAX_BATCH]);
  });
});
