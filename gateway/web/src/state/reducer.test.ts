import { describe, expect, it } from "vitest";

import type { StreamEvent } from "../api/events";
import type { Device, DeviceMeta } from "../api/types";
import {
  HISTORY_LIMIT,
  STALE_FACTOR,
  commandKey,
  expectedPeriod,
  initialState,
  reduce,
  type Action,
  type State,
} from "./reducer";

const T0 = Date.parse("2026-11-24T06:00:00.000Z");

const META: DeviceMeta = {
  id: "pi1",
  name: "Kitchen Pi",
  model: "Raspberry Pi 5",
  sw: "0.1.0",
  boot: "7f3a",
  sensors: {
    temp: { kind: "ds18b20", unit: "°C", heartbeat: 60, interval: 5, deadband: 0.1, settable: false },
    door: { kind: "digital", heartbeat: 300, settable: false },
    light: { kind: "light", interval: 2, settable: false },
  },
  actuators: { relay1: { kind: "relay", settable: true }, pwm1: { kind: "pwm_led", settable: true } },
};

function device(overrides: Partial<Device> = {}): Device {
  return {
    id: "pi1",
    meta: META,
    online: true,
    last_seen: "2026-11-24T06:00:00.000Z",
    sensors: {
      temp: { value: 21.4, unit: "°C", ts: "2026-11-24T06:00:00.000Z", seq: 10, stale: false },
      door: { value: false, unit: null, ts: "2026-11-24T05:59:00.000Z", seq: 8, stale: false },
    },
    actuators: {
      relay1: { value: false, unit: null, ts: "2026-11-24T05:58:00.000Z", seq: 7, stale: false },
    },
    ...overrides,
  };
}

function ev(event: StreamEvent, now = T0): Action {
  return { type: "event", event, now };
}

function snapshot(devices: Device[], now = T0): Action {
  return ev({ type: "snapshot", id: "e1-5", data: { devices } }, now);
}

function reading(seq: number, value: number, extra: { hist?: boolean; sensor?: string } = {}): Action {
  return ev({
    type: "reading",
    id: `e1-${seq}`,
    data: {
      device: "pi1",
      sensor: extra.sensor ?? "temp",
      value,
      unit: "°C",
      ts: new Date(T0 + seq * 1000).toISOString(),
      seq,
      boot: "7f3a",
      hist: extra.hist ?? false,
    },
  });
}

function run(...actions: Action[]): State {
  return actions.reduce(reduce, initialState(T0));
}

describe("snapshot", () => {
  it("fills the devices and marks the view synced", () => {
    const state = run(snapshot([device()]));
    expect(state.synced).toBe(true);
    expect(state.snapshots).toBe(1);
    const pi = state.devices.pi1;
    expect(pi?.meta?.name).toBe("Kitchen Pi");
    expect(pi?.sensors.temp?.value).toBe(21.4);
    expect(pi?.actuators.relay1?.value).toBe(false);
    expect(pi?.history.temp?.map((p) => p.seq)).toEqual([10]);
  });

  it("never replaces a newer value with an older snapshot value", () => {
    const state = run(snapshot([device()]), reading(12, 22.0), snapshot([device()]));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22.0);
    expect(state.devices.pi1?.sensors.temp?.seq).toBe(12);
  });

  it("takes a newer snapshot value", () => {
    const newer = device({
      sensors: { temp: { value: 23.5, unit: "°C", ts: "2026-11-24T06:01:00.000Z", seq: 20, stale: false } },
    });
    const state = run(snapshot([device()]), reading(12, 22.0), snapshot([newer]));
    expect(state.devices.pi1?.sensors.temp?.seq).toBe(20);
    expect(state.devices.pi1?.history.temp?.map((p) => p.seq)).toEqual([10, 12, 20]);
  });

  it("drops a device the gateway no longer lists", () => {
    const other = device({ id: "pi2", meta: { ...META, id: "pi2", name: "Shed" } });
    const state = run(snapshot([device(), other]), snapshot([other]));
    expect(Object.keys(state.devices)).toEqual(["pi2"]);
  });

  it("keeps the gateway's stale flag", () => {
    const stale = device({
      sensors: { temp: { value: 19, unit: "°C", ts: "2026-11-24T05:00:00.000Z", seq: 3, stale: true } },
    });
    expect(run(snapshot([stale])).devices.pi1?.sensors.temp?.stale).toBe(true);
  });
});

describe("reading", () => {
  it("updates the value, the history and last seen", () => {
    const state = run(snapshot([device()]), reading(11, 21.9));
    const pi = state.devices.pi1;
    expect(pi?.sensors.temp?.value).toBe(21.9);
    expect(pi?.sensors.temp?.unit).toBe("°C");
    expect(pi?.history.temp?.map((p) => p.seq)).toEqual([10, 11]);
    expect(pi?.lastSeen).toBe(new Date(T0 + 11_000).toISOString());
  });

  it("ignores an older seq for the current value", () => {
    const state = run(snapshot([device()]), reading(12, 22.0), reading(11, 99));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22.0);
    expect(state.devices.pi1?.history.temp?.map((p) => p.seq)).toEqual([10, 11, 12]);
  });

  it("treats a repeated seq as the same reading", () => {
    const once = run(snapshot([device()]), reading(11, 21.9));
    const twice = reduce(once, reading(11, 21.9));
    expect(twice.devices).toBe(once.devices);
  });

  it("lets a hist reading fill history without rolling the current value back", () => {
    const state = run(snapshot([device()]), reading(12, 22.0), reading(11, 5, { hist: true }));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22.0);
    expect(state.devices.pi1?.history.temp?.map((p) => p.seq)).toEqual([10, 11, 12]);
  });

  it("does not move last seen for a hist reading", () => {
    const before = run(snapshot([device()]));
    const after = reduce(before, reading(11, 5, { hist: true }));
    expect(after.devices.pi1?.lastSeen).toBe(before.devices.pi1?.lastSeen);
  });

  it("bounds the history, dropping the oldest", () => {
    const actions = Array.from({ length: HISTORY_LIMIT + 30 }, (_, i) => reading(100 + i, i));
    const state = run(snapshot([device()]), ...actions);
    const history = state.devices.pi1?.history.temp ?? [];
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]?.seq).toBe(100 + 30);
    expect(history.at(-1)?.seq).toBe(100 + HISTORY_LIMIT + 29);
  });

  it("creates a device it has not heard of", () => {
    const state = run(reading(1, 20));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(20);
    expect(state.devices.pi1?.online).toBe(true);
  });
});

describe("an agent that lost its seq counter", () => {
  function live(seq: number, value: number, boot: string, hist = false): Action {
    return ev({
      type: "reading",
      id: `e2-${seq}`,
      data: { device: "pi1", sensor: "temp", value, unit: "°C", ts: "2026-11-24T07:00:00.000Z", seq, boot, hist },
    });
  }
  const reboot: Action = ev({ type: "meta", id: "e2-1", data: { device: "pi1", meta: { ...META, boot: "new1" }, removed: false } });

  it("shows the new run's values once its meta says it is the current boot", () => {
    const state = run(snapshot([device()]), reading(50, 22), reboot, live(3, 18.5, "new1"), live(4, 18.6, "new1"));
    expect(state.devices.pi1?.sensors.temp).toMatchObject({ value: 18.6, seq: 4, boot: "new1" });
    expect(state.devices.pi1?.history.temp?.map((p) => p.seq)).toEqual([3, 4]);
    expect(state.devices.pi1?.sensors.door?.seq).toBeNull(); // forgotten: its next reading counts
  });

  it("still refuses a lower seq from the same run", () => {
    const state = run(snapshot([device()]), reboot, live(60, 22, "new1"), live(59, 99, "new1"));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22);
  });

  it("still refuses a lower seq from a run that is not the current boot", () => {
    const state = run(snapshot([device()]), reading(50, 22), live(3, 99, "someone-else"));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22);
  });

  it("does not take a late hist reading for a lost counter", () => {
    const state = run(snapshot([device()]), reading(50, 22), reboot, live(3, 99, "new1", true));
    expect(state.devices.pi1?.sensors.temp?.value).toBe(22);
  });
});

describe("history", () => {
  it("merges a history page by seq, in order, without duplicates", () => {
    const state = run(snapshot([device()]), reading(12, 22), {
      type: "history",
      device: "pi1",
      sensor: "temp",
      readings: [
        { seq: 9, ts: "2026-11-24T05:59:50.000Z", value: 21.0 },
        { seq: 10, ts: "2026-11-24T06:00:00.000Z", value: 21.4 },
        { seq: 11, ts: "2026-11-24T06:00:05.000Z", value: 21.6 },
      ],
    });
    expect(state.devices.pi1?.history.temp?.map((p) => p.seq)).toEqual([9, 10, 11, 12]);
    expect(state.devices.pi1?.sensors.temp?.seq).toBe(12);
  });

  it("ignores history for a device that left", () => {
    const before = run(snapshot([device()]));
    const after = reduce(before, { type: "history", device: "gone", sensor: "x", readings: [] });
    expect(after).toBe(before);
  });
});

describe("actuator", () => {
  it("updates the actuator's state by seq", () => {
    const on: Action = ev({
      type: "actuator",
      id: "e1-9",
      data: { device: "pi1", actuator: "relay1", value: true, unit: null, ts: "2026-11-24T06:00:02.000Z", seq: 13, boot: "7f3a", hist: false },
    });
    const old: Action = ev({
      type: "actuator",
      id: "e1-10",
      data: { device: "pi1", actuator: "relay1", value: false, unit: null, ts: "2026-11-24T06:00:01.000Z", seq: 6, boot: "7f3a", hist: true },
    });
    const state = run(snapshot([device()]), on, old);
    expect(state.devices.pi1?.actuators.relay1?.value).toBe(true);
    expect(state.devices.pi1?.actuators.relay1?.seq).toBe(13);
  });
});

describe("status and meta", () => {
  it("marks a device offline and keeps its last values", () => {
    const state = run(
      snapshot([device()]),
      ev({ type: "status", id: "e1-6", data: { device: "pi1", online: false } }),
    );
    expect(state.devices.pi1?.online).toBe(false);
    expect(state.devices.pi1?.sensors.temp?.value).toBe(21.4);
  });

  it("moves last seen when a device comes online", () => {
    const later = T0 + 60_000;
    const state = run(
      snapshot([device()]),
      ev({ type: "status", id: "e1-6", data: { device: "pi1", online: true } }, later),
    );
    expect(state.devices.pi1?.lastSeen).toBe(new Date(later).toISOString());
  });

  it("replaces the meta", () => {
    const renamed = { ...META, name: "Garage Pi" };
    const state = run(
      snapshot([device()]),
      ev({ type: "meta", id: "e1-7", data: { device: "pi1", meta: renamed, removed: false } }),
    );
    expect(state.devices.pi1?.meta?.name).toBe("Garage Pi");
  });

  it("drops a device removed on the broker, with its commands", () => {
    const other = device({ id: "pi2", meta: { ...META, id: "pi2", name: "Shed" } });
    const state = run(
      snapshot([device(), other]),
      { type: "commandSent", device: "pi1", actuator: "relay1", value: true, id: 1 },
      ev({ type: "meta", id: "e1-7", data: { device: "pi1", meta: null, removed: true } }),
    );
    expect(Object.keys(state.devices)).toEqual(["pi2"]);
    expect(state.commands).toEqual({});
  });
});

describe("commands and acks", () => {
  const key = commandKey("pi1", "relay1");
  const sent: Action = { type: "commandSent", device: "pi1", actuator: "relay1", value: true, id: 1 };

  it("is pending until the POST returns the ack", () => {
    const pending = run(snapshot([device()]), sent);
    expect(pending.commands[key]?.status).toBe("pending");
    const done = reduce(pending, {
      type: "commandAcked",
      device: "pi1",
      actuator: "relay1",
      id: 1,
      ack: { device: "pi1", actuator: "relay1", cid: "c1", status: "ok", value: true },
    });
    expect(done.commands[key]).toMatchObject({ status: "acknowledged", cid: "c1", reason: null });
  });

  it("shows a refused command as failed with the reason", () => {
    const state = run(snapshot([device()]), sent, {
      type: "commandAcked",
      device: "pi1",
      actuator: "relay1",
      id: 1,
      ack: { device: "pi1", actuator: "relay1", cid: "c1", status: "rejected", value: null, error: "bad value" },
    });
    expect(state.commands[key]).toMatchObject({ status: "failed", reason: "the device rejected it: bad value" });
  });

  it("shows an HTTP failure as failed", () => {
    const state = run(snapshot([device()]), sent, {
      type: "commandFailed",
      device: "pi1",
      actuator: "relay1",
      id: 1,
      reason: "the device is offline",
    });
    expect(state.commands[key]).toMatchObject({ status: "failed", reason: "the device is offline" });
  });

  it("ignores the late outcome of a superseded command", () => {
    const state = run(
      snapshot([device()]),
      sent,
      { ...sent, value: false, id: 2 },
      { type: "commandFailed", device: "pi1", actuator: "relay1", id: 1, reason: "timeout" },
    );
    expect(state.commands[key]).toMatchObject({ id: 2, status: "pending", value: false });
  });

  it("resolves a pending command from the stream's ack event", () => {
    const state = run(
      snapshot([device()]),
      sent,
      ev({ type: "ack", id: "e1-8", data: { device: "pi1", actuator: "relay1", cid: "c1", status: "ok", value: true, error: null } }),
    );
    expect(state.commands[key]).toMatchObject({ status: "acknowledged", cid: "c1" });
  });

  it("does not take another command's ack for ours", () => {
    const state = run(
      snapshot([device()]),
      sent,
      ev({ type: "ack", id: "e1-8", data: { device: "pi1", actuator: "relay1", cid: "x", status: "ok", value: false, error: null } }),
    );
    expect(state.commands[key]?.status).toBe("pending");
  });

  it("reports an expired ack event", () => {
    const state = run(
      snapshot([device()]),
      sent,
      ev({ type: "ack", id: "e1-8", data: { device: "pi1", actuator: "relay1", cid: "c1", status: "expired", value: true, error: null } }),
    );
    expect(state.commands[key]).toMatchObject({ status: "failed", reason: "it expired before the device got it" });
  });
});

describe("broker, phase and reset", () => {
  it("follows the broker event", () => {
    const lost = run(snapshot([device()]), ev({ type: "broker", id: "e1-9", data: { connected: false } }));
    expect(lost.brokerConnected).toBe(false);
    const back = reduce(lost, ev({ type: "broker", id: "e1-10", data: { connected: true } }));
    expect(back.brokerConnected).toBe(true);
  });

  it("takes /readyz's answer", () => {
    expect(run({ type: "readiness", ready: false }).brokerConnected).toBe(false);
  });

  it("keeps the values through a reset until the next snapshot repairs them", () => {
    const reset = run(snapshot([device()]), ev({ type: "reset", id: null, data: { reason: "epoch" } }));
    expect(reset.synced).toBe(false);
    expect(reset.resets).toBe(1);
    expect(reset.lastResetReason).toBe("epoch");
    expect(reset.devices.pi1?.sensors.temp?.value).toBe(21.4);
    const again = reduce(reset, snapshot([device()]));
    expect(again.synced).toBe(true);
  });

  it("changes phase only when it changes", () => {
    const live = run({ type: "phase", phase: "live" });
    expect(live.phase).toBe("live");
    expect(reduce(live, { type: "phase", phase: "live" })).toBe(live);
  });
});

describe("stale", () => {
  it("marks a point stale after STALE_FACTOR heartbeats without news", () => {
    const start = run(snapshot([device()]));
    const justBefore = reduce(start, { type: "tick", now: T0 + STALE_FACTOR * 60_000 - 1 });
    expect(justBefore.devices.pi1?.sensors.temp?.stale).toBe(false);
    const after = reduce(start, { type: "tick", now: T0 + STALE_FACTOR * 60_000 + 1 });
    expect(after.devices.pi1?.sensors.temp?.stale).toBe(true);
  });

  it("clears stale when a new reading arrives", () => {
    const late = T0 + 10 * 60_000;
    const stale = run(snapshot([device()]), { type: "tick", now: late });
    expect(stale.devices.pi1?.sensors.temp?.stale).toBe(true);
    const fresh = reduce(stale, { ...reading(11, 22), now: late } as Action);
    expect(fresh.devices.pi1?.sensors.temp?.stale).toBe(false);
  });

  it("keeps the same device object when nothing turned stale", () => {
    const start = run(snapshot([device()]));
    const next = reduce(start, { type: "tick", now: T0 + 1000 });
    expect(next.devices.pi1).toBe(start.devices.pi1);
    expect(next.now).toBe(T0 + 1000);
  });

  it("knows when silence is normal", () => {
    expect(expectedPeriod({ kind: "ds18b20", heartbeat: 60, interval: 5, settable: false })).toBe(60);
    expect(expectedPeriod({ kind: "light", interval: 2, settable: false })).toBe(2);
    expect(expectedPeriod({ kind: "light", interval: 2, deadband: 0.5, settable: false })).toBeNull();
    expect(expectedPeriod({ kind: "digital", interval: 1, settable: false })).toBeNull();
    expect(expectedPeriod(undefined)).toBeNull();
  });
});
