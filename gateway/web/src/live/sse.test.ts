import { describe, expect, it } from "vitest";

import { ManualScheduler, RecordingHandlers } from "./fakes.test-support";
import { openSse } from "./sse";

/** The parts of EventSource that openSse uses; readyState 0 connecting, 1 open, 2 closed. */
class FakeEventSource {
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, (message: MessageEvent) => void>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: (message: MessageEvent) => void): void {
    this.listeners.set(type, listener);
  }

  close(): void {
    this.readyState = 2;
  }

  emit(type: string, data: unknown, lastEventId: string): void {
    this.listeners.get(type)?.({ data: JSON.stringify(data), lastEventId } as MessageEvent);
  }
}

function setUp() {
  const sources: FakeEventSource[] = [];
  const scheduler = new ManualScheduler();
  const handlers = new RecordingHandlers();
  const stream = openSse("api/events", handlers, {
    scheduler,
    create: (url) => {
      const source = new FakeEventSource(url);
      sources.push(source);
      return source as unknown as EventSource;
    },
  });
  return { sources, scheduler, handlers, stream };
}

describe("openSse", () => {
  it("delivers named events with their ids", () => {
    const { sources, handlers, stream } = setUp();
    sources[0]?.onopen?.();
    sources[0]?.emit("snapshot", { devices: [] }, "e1-4");
    sources[0]?.emit("status", { device: "pi1", online: true }, "e1-5");
    expect(handlers.phases).toEqual(["live"]);
    expect(handlers.events.map((e) => [e.type, e.id])).toEqual([["snapshot", "e1-4"], ["status", "e1-5"]]);
    expect(stream.lastEventId()).toBe("e1-5");
  });

  it("leaves a network drop to the browser's own reconnect", () => {
    const { sources, scheduler, handlers } = setUp();
    sources[0]?.onerror?.(); // readyState stays CONNECTING: EventSource retries by itself
    expect(handlers.phases).toEqual(["reconnecting"]);
    expect(scheduler.pending()).toBe(0);
  });

  it("reopens after the browser gave up", () => {
    const { sources, scheduler, handlers } = setUp();
    sources[0]?.emit("broker", { connected: true }, "e1-9");
    if (sources[0]) sources[0].readyState = 2;
    sources[0]?.onerror?.();
    expect(handlers.troubles).toBe(1);
    scheduler.runAll();
    expect(sources[1]?.url).toBe("api/events");
    expect(handlers.phases).toEqual(["reconnecting"]);
  });

  it("gives reset no id", () => {
    const { sources, handlers } = setUp();
    sources[0]?.emit("reset", { reason: "epoch" }, "e1-9");
    expect(handlers.events).toEqual([{ type: "reset", id: null, data: { reason: "epoch" } }]);
  });

  it("restarts at once: the old source closed, a new one open, reconnecting until it opens", () => {
    const { sources, scheduler, handlers, stream } = setUp();
    sources[0]?.onopen?.();
    stream.restart();
    expect(sources[0]?.readyState).toBe(2);
    expect(sources).toHaveLength(2);
    expect(handlers.phases).toEqual(["live", "reconnecting"]);
    sources[0]?.onerror?.(); // late news from the old source changes nothing
    expect(handlers.phases).toEqual(["live", "reconnecting"]);
    sources[1]?.onopen?.();
    expect(handlers.phases).toEqual(["live", "reconnecting", "live"]);
    expect(scheduler.pending()).toBe(0);
  });

  it("stops for good when closed", () => {
    const { sources, scheduler, stream } = setUp();
    stream.close();
    sources[0]?.onerror?.();
    expect(scheduler.pending()).toBe(0);
    expect(sources[0]?.readyState).toBe(2);
  });
});
