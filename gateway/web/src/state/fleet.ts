/**
 * The fleet view's list: each device's verdict, the header's totals, search, the state filter,
 * the sort order and the names people read. Pure; tested in fleet.test.ts.
 */
import type { Alert } from "../api/alerts";
import { deviceHealth, HEALTH_ORDER, type Health } from "./health";
import type { DeviceState } from "./reducer";

export type FleetSort = "problems" | "name" | "last-seen";

export interface FleetQuery {
  search: string;
  /** `null`: every state. */
  health: Health | null;
  sort: FleetSort;
}

export const DEFAULT_QUERY: FleetQuery = { search: "", health: null, sort: "problems" };

export interface FleetEntry {
  device: DeviceState;
  health: Health;
  /** What to call it: its name, with the id when another device has the same name. */
  title: string;
  alerts: number;
}

export type Totals = Record<Health, number>;

/** How many devices carry each name: a name held by two or more needs the id beside it. */
export function nameCounts(devices: readonly DeviceState[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const device of devices) {
    const name = device.meta?.name ?? device.id;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** The device's name, or "Name (id)" when the name is not unique (or does not already say it). */
export function deviceTitle(device: DeviceState, counts: ReadonlyMap<string, number>): string {
  const name = device.meta?.name ?? device.id;
  if (name === device.id || name.includes(device.id)) return name;
  return (counts.get(name) ?? 0) > 1 ? `${name} (${device.id})` : name;
}

/** Active alerts per device (pending and firing). */
export function alertsByDevice(alerts: Readonly<Record<string, Alert>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const alert of Object.values(alerts)) counts.set(alert.device, (counts.get(alert.device) ?? 0) + 1);
  return counts;
}

export function fleetEntries(
  devices: Readonly<Record<string, DeviceState>>,
  alerts: Readonly<Record<string, Alert>>,
  now: number,
): FleetEntry[] {
  const list = Object.values(devices);
  const counts = nameCounts(list);
  const perDevice = alertsByDevice(alerts);
  return list.map((device) => ({
    device,
    health: deviceHealth(device, now),
    title: deviceTitle(device, counts),
    alerts: perDevice.get(device.id) ?? 0,
  }));
}

export function totals(entries: readonly FleetEntry[]): Totals {
  const result: Totals = { offline: 0, "not-responding": 0, quiet: 0, stale: 0, online: 0 };
  for (const entry of entries) result[entry.health]++;
  return result;
}

/** The header's words: "38 online · 2 offline · 1 stale" (states with no device left out). */
export function totalsText(counts: Totals): string {
  const parts = [...HEALTH_ORDER]
    .reverse()
    .filter((health) => counts[health] > 0)
    .map((health) => `${counts[health]} ${health === "not-responding" ? "not responding" : health}`);
  return parts.length > 0 ? parts.join(" · ") : "no devices";
}

/** The worst state any device is in: the header's colour. */
export function worstHealth(counts: Totals): Health | null {
  return HEALTH_ORDER.find((health) => counts[health] > 0) ?? null;
}

function matches(entry: FleetEntry, search: string): boolean {
  if (search === "") return true;
  const needle = search.toLocaleLowerCase();
  return (
    entry.device.id.toLocaleLowerCase().includes(needle) ||
    entry.title.toLocaleLowerCase().includes(needle)
  );
}

function lastSeenMs(entry: FleetEntry): number {
  return entry.device.lastSeen === null ? -Infinity : Date.parse(entry.device.lastSeen);
}

/** One collator for every comparison: `localeCompare` builds one per call, which costs ~50 ms to
 * sort 1,000 devices, every frame. */
const collator = new Intl.Collator(undefined, { numeric: true });

function byTitle(a: FleetEntry, b: FleetEntry): number {
  return collator.compare(a.title, b.title) || collator.compare(a.device.id, b.device.id);
}

/** Search (name or id), filter (one state), sort: the rows the fleet shows, in order. */
export function selectFleet(entries: readonly FleetEntry[], query: FleetQuery): FleetEntry[] {
  const search = query.search.trim();
  const shown = entries.filter(
    (entry) => (query.health === null || entry.health === query.health) && matches(entry, search),
  );
  switch (query.sort) {
    case "name":
      return shown.sort(byTitle);
    case "last-seen":
      return shown.sort((a, b) => lastSeenMs(b) - lastSeenMs(a) || byTitle(a, b));
    case "problems":
      return shown.sort(
        (a, b) =>
          HEALTH_ORDER.indexOf(a.health) - HEALTH_ORDER.indexOf(b.health) ||
          b.alerts - a.alerts ||
          byTitle(a, b),
      );
  }
}
