import { describe, expect, it } from "vitest";

import { ManualScheduler } from "./fakes.test-support";
import { DEFAULT_QUIET_MS, quietMsFrom, watchLiveness } from "./watchdog";

function setUp(answers: boolean) {
  const scheduler = new ManualScheduler();
  const world = { live: true, quietFor: 0, probes: 0, deaths: 0 };
  const stop = watchLiveness({
    quietMs: 30_000,
    quietFor: () => world.quietFor,
    live: () => world.live,
    reachable: () => {
      world.probes++;
      return Promise.resolve(answers);
    },
    onDead: () => {
      world.deaths++;
    },
    scheduler,
  });
  return { scheduler, world, stop };
}

/** Let the probe's promise chain run (it schedules the next check when it is done). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("watchLiveness", () => {
  it("never probes a stream that carries events", async () => {
    const { scheduler, world } = setUp(false);
    for (let i = 0; i < 5; i++) {
      world.quietFor = 1_000;
      expect(scheduler.runAll()).toEqual([15_000]);
      await settle();
    }
    expect(world.probes).toBe(0);
  });

  it("restarts a quiet live stream whose gateway does not answer, once per probe", async () => {
    const { scheduler, world } = setUp(false);
    world.quietFor = 30_000;
    scheduler.runAll();
    expect(scheduler.pending()).toBe(0); // no overlapping probe while one is out
    await settle();
    expect(world.deaths).toBe(1);
    expect(scheduler.pending()).toBe(1);
  });

  it("leaves a quiet stream alone when the gateway answers", async () => {
    const { scheduler, world } = setUp(true);
    world.quietFor = 60_000;
    scheduler.runAll();
    await settle();
    expect([world.probes, world.deaths]).toEqual([1, 0]);
  });

  it("does not probe while the stream already says it is reconnecting, nor after it stopped", async () => {
    const { scheduler, world, stop } = setUp(false);
    world.live = false;
    world.quietFor = 60_000;
    scheduler.runAll();
    await settle();
    expect(world.probes).toBe(0);
    stop();
    expect(scheduler.pending()).toBe(0);
  });

  it("takes the quiet time from ?probe=<seconds>, else the default", () => {
    expect(quietMsFrom("?probe=2")).toBe(2_000);
    expect(quietMsFrom("?transport=ws")).toBe(DEFAULT_QUIET_MS);
    expect(quietMsFrom("?probe=0")).toBe(DEFAULT_QUIET_MS);
    expect(quietMsFrom("?probe=x")).toBe(DEFAULT_QUIET_MS);
  });
});
