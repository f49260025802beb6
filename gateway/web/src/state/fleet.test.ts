import { describe, expect, it } from "vitest";

import type { Alert } from "../api/alerts";
import type { DeviceMeta } from "../api/types";
import {
  DEFAULT_QUERY,
  deviceTitle,
  fleetEntries,
  nameCounts,
  selectFleet,
  totals,
  totalsText,
  worstHealth,
} from "./fleet";
import { quietAfterMs, shortestInterval } from "./health";
import type { DeviceState } from "./reducer";

const NOW = Date.parse("2026-11-24T06:00:00.000Z");

function meta(id: string, name: string, interval = 1): DeviceMeta {
  return {
    id,
    name,
    model: "Pi",
    sw: "0.1.0",
    boot: "b",
    sensors: { level: { kind: "distance", interval, settable: false } },
    actuators: {},
  };
}

function device(id: string, name: string, over: Partial<DeviceState> = {}): DeviceState {
  return {
    id,
    meta: meta(id, name),
    online: true,
    lastSeen: new Date(NOW - 1_000).toISOString(),
    sensors: {},
    actuators: {},
    history: {},
    heardAt: NOW - 1_000,
    notRespondingSince: null,
    ...over,
  };
}

const DEVICES: Record<string, DeviceState> = {
  a: device("a", "Greenhouse"),
  b: device("b", "Greenhouse", { online: false, lastSeen: new Date(NOW - 180_000).toISOString() }),
  c: device("c", "Barn", { heardAt: NOW - 60_000 }),
  d: device("d", "Attic"),
};

const ALERT: Alert = {
  rule: "r",
  device: "d",
  point: null,
  state: "firing",
  severity: "warning",
  value: null,
  since: "",
  ts: "",
};

describe("names", () => {
  it("a name held by two devices gets the id beside it; a unique one does not", () => {
    const counts = nameCounts(Object.values(DEVICES));
    expect(deviceTitle(DEVICES.a as DeviceState, counts)).toBe("Greenhouse (a)");
    expect(deviceTitle(DEVICES.c as DeviceState, counts)).toBe("Barn");
  });

  it("a name that already says the id is left alone", () => {
    const one = device("pi-7", "Simulated Pi (pi-7)");
    const counts = nameCounts([one, device("pi-8", "Simulated Pi (pi-7)")]);
    expect(deviceTitle(one, counts)).toBe("Simulated Pi (pi-7)");
  });
});

describe("the fleet list", () => {
  const entries = fleetEntries(DEVICES, { x: ALERT }, NOW);

  it("counts the states for the header, problems coloured by the worst", () => {
    const counts = totals(entries);
    expect(totalsText(counts)).toBe("2 online · 1 quiet · 1 offline");
    expect(worstHealth(counts)).toBe("offline");
  });

  it("puts problems first, then alerts, then by name", () => {
    expect(selectFleet(entries, DEFAULT_QUERY).map((e) => e.device.id)).toEqual(["b", "c", "d", "a"]);
  });

  it("filters by state and searches name or id", () => {
    expect(selectFleet(entries, { ...DEFAULT_QUERY, health: "online" }).map((e) => e.device.id)).toEqual(["d", "a"]);
    expect(selectFleet(entries, { ...DEFAULT_QUERY, search: "green" }).map((e) => e.device.id)).toEqual(["b", "a"]);
    expect(selectFleet(entries, { ...DEFAULT_QUERY, search: " D " }).map((e) => e.device.id)).toEqual(["d"]);
  });

  it("sorts by name and by last seen", () => {
    expect(selectFleet(entries, { ...DEFAULT_QUERY, sort: "name" }).map((e) => e.device.id)).toEqual(["d", "c", "a", "b"]);
    expect(selectFleet(entries, { ...DEFAULT_QUERY, sort: "last-seen" }).map((e) => e.device.id).at(-1)).toBe("b");
  });

  it("counts each device's active alerts", () => {
    expect(entries.find((e) => e.device.id === "d")?.alerts).toBe(1);
  });
});

describe("quiet threshold", () => {
  it("is 3 × the shortest interval any point declares, never under 10 s", () => {
    const m = meta("x", "X", 30);
    expect(shortestInterval(m)).toBe(30);
    expect(quietAfterMs(m)).toBe(90_000);
    expect(quietAfterMs(meta("y", "Y", 1))).toBe(10_000);
    expect(quietAfterMs({ ...m, sensors: { door: { kind: "digital", settable: false } } })).toBeNull();
  });
});
