/**
 * A device's health in one word, worst first: the verdict the fleet sorts, filters, counts and
 * colours by. Pure; tested in health.test.ts.
 *
 * - `offline`: the broker says so (the agent's Last Will or a clean stop);
 * - `not-responding`: a command timed out and nothing was heard from the device since;
 * - `quiet`: online, but nothing at all heard for QUIET_FACTOR × its shortest declared interval
 *   (at least QUIET_FLOOR_MS). A hung Pi keeps its MQTT connection open until the broker's
 *   keepalive runs out (1.5 × keepalive): this is what shows it first (issue 15);
 * - `stale`: online and talking, but a point missed its expected updates (reducer.ts);
 * - `online`: none of the above.
 */
import type { DeviceMeta } from "../api/types";
import type { DeviceState } from "./reducer";

export type Health = "offline" | "not-responding" | "quiet" | "stale" | "online";

/** Worst first: the order of "problems first". */
export const HEALTH_ORDER: readonly Health[] = ["offline", "not-responding", "quiet", "stale", "online"];

/** "A few times" the shortest interval: one missed reading is jitter, three are not. */
export const QUIET_FACTOR = 3;
/** Below this, a busy broker or a slow browser tab could make a healthy device look quiet. */
export const QUIET_FLOOR_MS = 10_000;

/** The shortest `interval` (s) any of the device's points declares, or `null` without one. */
export function shortestInterval(meta: DeviceMeta | null): number | null {
  if (meta === null) return null;
  let shortest: number | null = null;
  for (const point of [...Object.values(meta.sensors ?? {}), ...Object.values(meta.actuators ?? {})]) {
    const interval = point.interval;
    if (interval != null && interval > 0 && (shortest === null || interval < shortest)) shortest = interval;
  }
  return shortest;
}

/** After how long (ms) without a word the device counts as quiet; `null` when it never does
 * (it declares no interval: only edge-triggered inputs). */
export function quietAfterMs(meta: DeviceMeta | null): number | null {
  const interval = shortestInterval(meta);
  return interval === null ? null : Math.max(QUIET_FACTOR * interval * 1000, QUIET_FLOOR_MS);
}

/** Per meta object (a meta is replaced, never changed): the fleet asks 1,000 times a frame. */
const quietCache = new WeakMap<DeviceMeta, number | null>();

function cachedQuietAfterMs(meta: DeviceMeta | null): number | null {
  if (meta === null) return null;
  let after = quietCache.get(meta);
  if (after === undefined) {
    after = quietAfterMs(meta);
    quietCache.set(meta, after);
  }
  return after;
}

function anyStale(points: Readonly<Record<string, { stale: boolean }>>): boolean {
  for (const id in points) if (points[id]?.stale) return true;
  return false;
}

export function deviceHealth(device: DeviceState, now: number): Health {
  if (!device.online) return "offline";
  if (device.notRespondingSince !== null) return "not-responding";
  const quietAfter = cachedQuietAfterMs(device.meta);
  if (quietAfter !== null && device.heardAt !== null && now - device.heardAt > quietAfter) return "quiet";
  return anyStale(device.sensors) || anyStale(device.actuators) ? "stale" : "online";
}

/** Since when (ms, client clock) the device has been in trouble, for "quiet for 40 s"; the
 * offline time is the device's last message (`lastSeen`), never the broker's Will. */
export function troubleSince(device: DeviceState, health: Health): number | null {
  switch (health) {
    case "offline":
      return device.lastSeen === null ? null : Date.parse(device.lastSeen);
    case "not-responding":
      return device.notRespondingSince;
    case "quiet":
      return device.heardAt;
    default:
      return null;
  }
}

export const HEALTH_LABELS: Record<Health, string> = {
  offline: "offline",
  "not-responding": "not responding",
  quiet: "quiet",
  stale: "stale",
  online: "online",
};
