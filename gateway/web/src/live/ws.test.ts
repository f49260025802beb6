import { describe, expect, it } from "vitest";

import { ManualScheduler, RecordingHandlers } from "./fakes.test-support";
import { openWs, webSocketUrl, type SocketLike } from "./ws";

class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  closedByClient = false;

  constructor(readonly url: string) {}

  close(): void {
    this.closedByClient = true;
  }

  open(): void {
    this.onopen?.call(undefined as never, new Event("open"));
  }

  frame(frame: unknown): void {
    this.onmessage?.call(undefined as never, { data: JSON.stringify(frame) } as MessageEvent);
  }

  drop(): void {
    this.onclose?.call(undefined as never, {} as CloseEvent);
  }
}

function setUp(resumeFrom: string | null = null) {
  const sockets: FakeSocket[] = [];
  const scheduler = new ManualScheduler();
  const handlers = new RecordingHandlers();
  const stream = openWs("ws://gw/api/ws", handlers, {
    scheduler,
    resumeFrom,
    create: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
  });
  return { sockets, scheduler, handlers, stream };
}

const SNAPSHOT = { id: "e1-4", type: "snapshot", data: { devices: [] } };
const BROKER = { id: "e1-5", type: "broker", data: { connected: false } };

describe("openWs", () => {
  it("delivers frames as typed events and goes live on open", () => {
    const { sockets, handlers, stream } = setUp();
    sockets[0]?.open();
    sockets[0]?.frame(SNAPSHOT);
    sockets[0]?.frame(BROKER);
    expect(handlers.phases).toEqual(["live"]);
    expect(handlers.events.map((e) => e.type)).toEqual(["snapshot", "broker"]);
    expect(stream.lastEventId()).toBe("e1-5");
  });

  it("reconnects after a close and resumes from the last id", () => {
    const { sockets, scheduler, handlers } = setUp();
    sockets[0]?.open();
    sockets[0]?.frame(SNAPSHOT);
    sockets[0]?.frame(BROKER);
    sockets[0]?.drop();
    expect(handlers.phases).toEqual(["live", "reconnecting"]);
    expect(handlers.troubles).toBe(1);
    scheduler.runAll();
    expect(sockets[1]?.url).toBe("ws://gw/api/ws?last_event_id=e1-5");
  });

  it("backs off further while attempts keep failing, and starts over after a frame", () => {
    const { sockets, scheduler } = setUp();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      sockets.at(-1)?.drop();
      delays.push(...scheduler.runAll());
    }
    expect(delays).toEqual([375, 750, 1500, 3000]);
    sockets.at(-1)?.open();
    sockets.at(-1)?.frame(SNAPSHOT);
    sockets.at(-1)?.drop();
    expect(scheduler.runAll()).toEqual([375]);
  });

  it("takes the id to resume from when opened", () => {
    const { sockets } = setUp("e7-100");
    expect(sockets[0]?.url).toBe("ws://gw/api/ws?last_event_id=e7-100");
  });

  it("ignores frames that are not events", () => {
    const { sockets, handlers } = setUp();
    sockets[0]?.onmessage?.call(undefined as never, { data: "not json" } as MessageEvent);
    sockets[0]?.frame({ id: "e1-1", type: "nonsense", data: {} });
    sockets[0]?.frame([1, 2]);
    expect(handlers.events).toEqual([]);
  });

  it("stops for good when closed", () => {
    const { sockets, scheduler, handlers, stream } = setUp();
    sockets[0]?.open();
    stream.close();
    expect(sockets[0]?.closedByClient).toBe(true);
    sockets[0]?.drop();
    expect(scheduler.pending()).toBe(0);
    expect(handlers.phases).toEqual(["live"]);
  });

  it("cancels a scheduled reconnect when closed", () => {
    const { sockets, scheduler, stream } = setUp();
    sockets[0]?.drop();
    stream.close();
    scheduler.runAll();
    expect(sockets).toHaveLength(1);
  });
});

describe("webSocketUrl", () => {
  it("follows the page's scheme and sub-path", () => {
    expect(webSocketUrl("api/ws", "http://host:8000/")).toBe("ws://host:8000/api/ws");
    expect(webSocketUrl("api/ws", "https://example.org/pigw/")).toBe("wss://example.org/pigw/api/ws");
  });
  it("restarts at once, resuming from the last id, and ignores the old socket's late close", () => {
    const { sockets, scheduler, handlers, stream } = setUp();
    sockets[0]?.open();
    sockets[0]?.frame(SNAPSHOT);
    stream.restart();
    expect(sockets[0]?.closedByClient).toBe(true);
    expect(sockets[1]?.url).toBe("ws://gw/api/ws?last_event_id=e1-4");
    sockets[0]?.drop(); // the old socket's close event, whenever it comes
    expect(sockets).toHaveLength(2);
    expect(scheduler.pending()).toBe(0);
    expect(handlers.phases).toEqual(["live", "reconnecting"]);
  });
});
