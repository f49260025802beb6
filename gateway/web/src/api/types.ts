/**
 * The REST shapes the dashboard uses, named in the domain's words.
 *
 * PROVISIONAL: written from CONTRACT.md until the gateway's OpenAPI exists; replaced by aliases of
 * the generated `schema.ts` (npm run gen:api) as soon as the gateway lands.
 */

/** A reading's value: true/false for digital inputs and on/off outputs, a number otherwise. */
export type Value = boolean | number;

export interface PointMeta {
  kind: string;
  unit?: string | null;
  device_class?: string | null;
  interval?: number | null;
  heartbeat?: number | null;
  deadband?: number | null;
  pin?: number | string | null;
  settable?: boolean;
  name?: string | null;
}

export interface DeviceMeta {
  id: string;
  name: string;
  model: string;
  sw: string;
  boot: string;
  sensors?: Record<string, PointMeta>;
  actuators?: Record<string, PointMeta>;
}

export interface PointState {
  value: Value | null;
  unit?: string | null;
  ts: string | null;
  seq: number | null;
  stale: boolean;
}

export interface Device {
  id: string;
  meta: DeviceMeta | null;
  online: boolean;
  last_seen: string | null;
  sensors: Record<string, PointState>;
  actuators: Record<string, PointState>;
}

export interface DeviceList {
  devices: Device[];
}

export interface HistoryReading {
  value: Value;
  ts: string;
  seq: number;
}

export interface HistoryResponse {
  device: string;
  sensor: string;
  readings: HistoryReading[];
}

export interface Session {
  name: string | null;
  role: "viewer" | "operator";
  auth: "token" | "open";
}

export interface CommandAck {
  cid: string | null;
  status: "ok" | "error" | "rejected" | "expired";
  value?: Value | null;
  ts: string;
  error?: string | null;
}
