/**
 * The recorder's REST shapes (CONTRACT.md v3, "The recorder" and "Audit log"), written by hand
 * from the contract until the gateway's OpenAPI documents them; then they become aliases of the
 * generated `schema.ts` types like those in `types.ts`.
 */
import type { Value } from "./types";

/** The tiers the recorder answers from; `auto` lets the gateway pick (CONTRACT.md v3). */
export type Step = "raw" | "1m" | "1h" | "auto";

export interface RawReading {
  value: Value;
  ts: string;
  seq: number;
}

export interface Bucket {
  /** Bucket start, UTC. */
  ts: string;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

interface HistoryHead {
  device: string;
  sensor?: string;
  actuator?: string;
  unit?: string | null;
  from: string;
  to: string;
}

/** The answer of `…/history?from=&to=&step=`: raw readings or buckets, oldest first. */
export type PointHistory =
  | (HistoryHead & { step: "raw"; readings: RawReading[]; truncated?: boolean })
  | (HistoryHead & { step: "1m" | "1h"; buckets: Bucket[] });

export interface MissingRange {
  from_seq: number;
  to_seq: number;
  reason: "requested" | "unavailable";
}

/** `GET /api/devices/{dev}/coverage`: what the store holds of the device's seq line. */
export interface Coverage {
  device: string;
  first_seq: number | null;
  last_seq: number | null;
  recorded: number;
  missing: MissingRange[];
}

export type AuditStatus = "ok" | "error" | "rejected" | "expired" | "timeout" | "offline" | "refused";

/** One command through the gateway, as `GET /api/audit` lists it (newest first). */
export interface AuditEntry {
  ts: string;
  principal: string;
  device: string;
  actuator: string;
  value: Value | null;
  cid: string | null;
  /** An `AuditStatus`; a string, so a status a newer gateway adds still shows. */
  status: string;
  error: string | null;
  latency_ms: number | null;
  /** `rest` or `ws`. */
  via: string;
}

export interface AuditPage {
  entries: AuditEntry[];
}
