/** The reducer's rules added by issue 15: quiet and not-responding devices, `lastSeen` that the
 * broker's Last Will does not move, outcomes with a time that go when the state changes
 * elsewhere, alerts, and batches of events. */
import { describe, expect, it } from "vitest";

import type { Alert } from "../api/alerts";
import type { StreamEvent } from "../api/events";
import type { Device, DeviceMeta } from "../api/types";
import { deviceHealth } from "./health";
import { commandKey, initialState, reduce, type Action, type State } from "./reducer";

const T0 = Date.parse("2026-11-24T06:00:00.000Z");

const META: DeviceMeta = {
  id: "pi1",
  name: "Kitchen Pi",
  model: "Raspberry Pi 5",
  sw: "0.1.0",
  boot: "7f3a",
  sensors: { level: { kind: "distance", interval: 1, settable: false } },
  actuators: { relay1: { kind: "relay", settable: true } },
};

const DEVICE: Device = {
  id: "pi1",
  meta: META,
  online: true,
  last_seen: "2026-11-24T06:00:00.000Z",
  sensors: { level: { value: 1.2, unit: "m", ts: "2026-11-24T06:00:00.000Z", seq: 10, stale: false } },
  actuators: { relay1: { value: false, unit: null, ts: "2026-11-24T06:00:00.000Z", seq: 9, stale: false } },
};

function ev(event: StreamEvent, now = T0): Action {
  return { type: "event", event, now };
}

const snapshot = (alerts: Alert[] = []): Action =>
  ev({ type: "snapshot", id: "e1-1", data: { devices: [DEVICE], alerts } });

function relay(seq: number, value: boolean, now: number): Action {
  return ev(
    {
      type: "actuator",
      id: `e1-${seq}`,
      data: {
        device: "pi1",
        actuator: "relay1",
        value,
        unit: null,
        ts: new Date(now).toISOString(),
        seq,
        boot: "7f3a",
        hist: false,
      },
    },
    now,
  );
}

function level(seq: number, now: number): Action {
  return ev(
    {
      type: "reading",
      id: `e1-${seq}`,
      data: {
        device: "pi1",
        sensor: "level",
        value: 1.3,
        unit: "m",
        ts: new Date(now).toISOString(),
        seq,
        boot: "7f3a",
        hist: false,
      },
    },
    now,
  );
}

function run(...actions: Action[]): State {
  return actions.reduce(reduce, initialState(T0));
}

const ALERT: Alert = {
  rule: "tank-low",
  device: "pi1",
  point: "level",
  state: "firing",
  severity: "critical",
  value: 0.2,
  since: "2026-11-24T05:59:00.000Z",
  ts: "2026-11-24T05:59:30.000Z",
};

describe("quiet: a hung device that keeps its connection", () => {
  it("is quiet after 3 × its shortest interval (at least 10 s) without a word", () => {
    const state = run(snapshot());
    const pi = state.devices.pi1;
    expect(pi).toBeDefined();
    if (pi === undefined) return;
    expect(deviceHealth(pi, T0 + 9_000)).toBe("online");
    expect(deviceHealth(pi, T0 + 10_001)).toBe("quiet");
  });

  it("is heard again with its next reading", () => {
    const state = run(snapshot(), level(11, T0 + 20_000));
    const pi = state.devices.pi1;
    expect(pi && deviceHealth(pi, T0 + 21_000)).toBe("online");
  });
});

describe("last seen", () => {
  it("stays the device's last message when the broker reports it offline (its Last Will)", () => {
    const state = run(
      snapshot(),
      level(11, T0 + 5_000),
      ev({ type: "status", id: "e1-20", data: { device: "pi1", online: false } }, T0 + 50_000),
    );
    expect(state.devices.pi1?.online).toBe(false);
    expect(state.devices.pi1?.lastSeen).toBe(new Date(T0 + 5_000).toISOString());
    expect(state.devices.pi1 && deviceHealth(state.devices.pi1, T0 + 50_000)).toBe("offline");
  });
});

describe("not responding", () => {
  const sent: Action = { type: "commandSent", device: "pi1", actuator: "relay1", value: true, id: 1 };
  const timedOut: Action = {
    type: "commandFailed",
    device: "pi1",
    actuator: "relay1",
    id: 1,
    reason: "no acknowledgement from the device in time",
    timedOut: true,
    now: T0 + 5_000,
  };

  it("marks the device when a command times out, until the device says something", () => {
    const failed = run(snapshot(), sent, timedOut);
    expect(failed.devices.pi1?.notRespondingSince).toBe(T0 + 5_000);
    expect(failed.devices.pi1 && deviceHealth(failed.devices.pi1, T0 + 6_000)).toBe("not-responding");
    const back = reduce(failed, level(11, T0 + 7_000));
    expect(back.devices.pi1?.notRespondingSince).toBeNull();
  });

  it("is not set by a refusal that is not a timeout", () => {
    const refused = run(snapshot(), sent, { ...timedOut, timedOut: false, reason: "the value was refused" });
    expect(refused.devices.pi1?.notRespondingSince).toBeNull();
  });
});

describe("command outcomes", () => {
  const key = commandKey("pi1", "relay1");
  const sent: Action = { type: "commandSent", device: "pi1", actuator: "relay1", value: true, id: 1 };
  const acked: Action = {
    type: "commandAcked",
    device: "pi1",
    actuator: "relay1",
    id: 1,
    ack: { device: "pi1", actuator: "relay1", cid: "c1", status: "ok", value: true },
    now: T0 + 1_000,
  };

  it("carry the time they arrived", () => {
    const state = run(snapshot(), sent, acked);
    expect(state.commands[key]?.status).toBe("acknowledged");
    expect(state.commands[key]?.settledAt).toBe(T0 + 1_000);
  });

  it("stay while the state is the one acknowledged", () => {
    const state = run(snapshot(), sent, acked, relay(12, true, T0 + 1_100));
    expect(state.commands[key]?.status).toBe("acknowledged");
  });

  it("go when another client changes the state", () => {
    const state = run(snapshot(), sent, acked, relay(12, true, T0 + 1_100), relay(13, false, T0 + 9_000));
    expect(state.commands[key]).toBeUndefined();
  });

  it("a pending command stays when the state changes", () => {
    const state = run(snapshot(), sent, relay(12, false, T0 + 500), relay(13, true, T0 + 600));
    expect(state.commands[key]?.status).toBe("pending");
  });
});

describe("alerts", () => {
  it("come with the snapshot, and a resolved one leaves", () => {
    const state = run(snapshot([ALERT]));
    expect(Object.values(state.alerts)).toEqual([ALERT]);
    const resolved = reduce(state, ev({ type: "alert", id: "e1-9", data: { ...ALERT, state: "resolved" } }));
    expect(resolved.alerts).toEqual({});
  });

  it("a live alert is added and replaced by its next state", () => {
    const pending = { ...ALERT, state: "pending" as const };
    const state = run(snapshot(), ev({ type: "alert", id: "e1-2", data: pending }), ev({ type: "alert", id: "e1-3", data: ALERT }));
    expect(Object.values(state.alerts)).toEqual([ALERT]);
  });

  it("a snapshot without alerts (a gateway before v3) leaves none", () => {
    const state = run(snapshot([ALERT]), ev({ type: "snapshot", id: "e1-4", data: { devices: [DEVICE] } }));
    expect(state.alerts).toEqual({});
  });
});

describe("a batch of events", () => {
  it("is the same as the events one by one", () => {
    const events = [snapshot(), level(11, T0 + 1_000), relay(12, true, T0 + 1_000)].map((action) =>
      action.type === "event" ? action.event : null,
    );
    const batch = reduce(initialState(T0), {
      type: "events",
      events: events.filter((event) => event !== null),
      now: T0 + 1_000,
    });
    const single = run(snapshot(), level(11, T0 + 1_000), relay(12, true, T0 + 1_000));
    expect(batch.devices).toEqual(single.devices);
  });
});

describe("a batch never changes what an earlier state holds", () => {
  it("leaves the state before the batch as it was", () => {
    const before = run(snapshot());
    const devicesBefore = before.devices;
    const pi = before.devices.pi1;
    const events = [level(11, T0 + 1_000), level(12, T0 + 2_000), relay(13, true, T0 + 2_000)].map((a) =>
      a.type === "event" ? a.event : null,
    );
    const after = reduce(before, { type: "events", events: events.filter((e) => e !== null), now: T0 + 2_000 });
    expect(before.devices).toBe(devicesBefore);
    expect(before.devices.pi1).toBe(pi);
    expect(before.devices.pi1?.sensors.level?.seq).toBe(10);
    expect(after.devices.pi1?.sensors.level?.seq).toBe(12);
    expect(after.devices).not.toBe(devicesBefore);
  });
});
