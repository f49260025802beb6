/**
 * Alerts as the gateway reports them (CONTRACT.md v3, "Alerts"): the `alert` live event, the
 * snapshot's `alerts` and `GET /api/alerts`. Written by hand from the contract until the gateway's
 * OpenAPI documents them.
 */
import type { Value } from "./types";

export type AlertState = "pending" | "firing" | "resolved";
export type Severity = "info" | "warning" | "critical";

export interface Alert {
  rule: string;
  device: string;
  point: string | null;
  state: AlertState;
  severity: Severity;
  value: Value | null;
  since: string;
  ts: string;
  acknowledged_by?: string | null;
}

export interface AlertList {
  active: Alert[];
  recent: Alert[];
}

const STATES: readonly string[] = ["pending", "firing", "resolved"];
const SEVERITIES: readonly string[] = ["info", "warning", "critical"];

/** The key of one alert: (rule, device, point). */
export function alertKey(alert: Pick<Alert, "rule" | "device" | "point">): string {
  return `${alert.rule}/${alert.device}/${alert.point ?? ""}`;
}

/** An alert from the stream or a snapshot, checked field by field; `null` when off the contract. */
export function parseAlert(data: unknown): Alert | null {
  if (typeof data !== "object" || data === null) return null;
  const a = data as Record<string, unknown>;
  if (
    typeof a.rule !== "string" ||
    typeof a.device !== "string" ||
    typeof a.state !== "string" ||
    !STATES.includes(a.state)
  ) {
    return null;
  }
  const value = a.value;
  return {
    rule: a.rule,
    device: a.device,
    point: typeof a.point === "string" ? a.point : null,
    state: a.state as AlertState,
    severity: typeof a.severity === "string" && SEVERITIES.includes(a.severity) ? (a.severity as Severity) : "warning",
    value: typeof value === "number" || typeof value === "boolean" ? value : null,
    since: typeof a.since === "string" ? a.since : "",
    ts: typeof a.ts === "string" ? a.ts : "",
    acknowledged_by: typeof a.acknowledged_by === "string" ? a.acknowledged_by : null,
  };
}
