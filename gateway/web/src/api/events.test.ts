import { describe, expect, it } from "vitest";

import { isSeq, parseEvent } from "./events";

const READING = {
  device: "pi1",
  sensor: "temp",
  value: 21.4,
  unit: "°C",
  ts: "2026-11-24T06:00:00.123Z",
  seq: 812,
  boot: "7f3a",
  hist: false,
};

describe("parseEvent", () => {
  it("parses a reading", () => {
    expect(parseEvent("reading", READING, "e1-5")).toEqual({ type: "reading", id: "e1-5", data: READING });
  });

  it("parses an actuator state", () => {
    const data = { ...READING, sensor: undefined, actuator: "relay1", value: true };
    const event = parseEvent("actuator", data, "e1-6");
    expect(event?.type).toBe("actuator");
    expect(event?.data).toMatchObject({ actuator: "relay1", value: true, hist: false });
  });

  it("refuses a seq that is not a safe non-negative integer", () => {
    for (const seq of [1.5, -1, "812", 2 ** 53, null, true]) {
      expect(parseEvent("reading", { ...READING, seq }, "e1-5")).toBeNull();
    }
    expect(isSeq(2 ** 53 - 1)).toBe(true);
  });

  it("refuses a value that is neither a boolean nor a finite number", () => {
    expect(parseEvent("reading", { ...READING, value: "hot" }, null)).toBeNull();
  });

  it("parses ack, status, meta, broker and reset", () => {
    expect(
      parseEvent("ack", { device: "pi1", actuator: "relay1", cid: "c", status: "rejected", value: null, error: "bad" }, "e1-7")?.data,
    ).toEqual({ device: "pi1", actuator: "relay1", cid: "c", status: "rejected", value: null, error: "bad" });
    expect(parseEvent("ack", { device: "pi1", actuator: "relay1", status: "maybe" }, "e1-7")).toBeNull();
    expect(parseEvent("status", { device: "pi1", online: false }, "e1-8")?.data).toEqual({ device: "pi1", online: false });
    expect(parseEvent("meta", { device: "pi1", meta: { id: "pi1" } }, "e1-9")?.data).toMatchObject({ removed: false });
    expect(parseEvent("meta", { device: "pi1", meta: null, removed: true }, "e1-9")?.data).toEqual({
      device: "pi1",
      meta: null,
      removed: true,
    });
    expect(parseEvent("meta", { device: "pi1", meta: null }, "e1-9")).toBeNull();
    expect(parseEvent("broker", { connected: false }, "e1-10")?.data).toEqual({ connected: false });
    expect(parseEvent("reset", { reason: "too old" }, "e1-10")).toEqual({ type: "reset", id: null, data: { reason: "too old" } });
  });

  it("keeps only device-shaped entries of a snapshot", () => {
    const good = { id: "pi1", meta: null, online: true, last_seen: null, sensors: {}, actuators: {} };
    const event = parseEvent("snapshot", { devices: [good, { id: 3 }, null] }, "e1-4");
    expect(event?.type === "snapshot" && event.data.devices).toEqual([good]);
  });

  it("drops unknown events and non-object data", () => {
    expect(parseEvent("hello", {}, null)).toBeNull();
    expect(parseEvent("reading", "text", null)).toBeNull();
    expect(parseEvent("reading", undefined, null)).toBeNull();
  });
});

describe("alerts on the stream (CONTRACT.md v3)", () => {
  const ALERT = {
    rule: "tank-low",
    device: "pi1",
    point: "level",
    state: "firing",
    severity: "critical",
    value: 0.2,
    since: "2026-11-24T05:59:00.000Z",
    ts: "2026-11-24T05:59:30.000Z",
  };

  it("parses an alert event and the snapshot's alerts", () => {
    expect(parseEvent("alert", ALERT, "e1-7")).toMatchObject({ type: "alert", data: { rule: "tank-low", point: "level" } });
    const snapshot = parseEvent("snapshot", { devices: [], alerts: [ALERT, { rule: 1 }] }, "e1-8");
    expect(snapshot?.type === "snapshot" && snapshot.data.alerts).toHaveLength(1);
  });

  it("refuses an alert in an unknown state", () => {
    expect(parseEvent("alert", { ...ALERT, state: "exploded" }, null)).toBeNull();
  });
});
