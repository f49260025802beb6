/**
 * The live events of `GET /api/events` (SSE) and `GET /api/ws` (WebSocket), as CONTRACT.md names
 * them ("The event stream"), and a parser that turns one raw event into a typed one.
 *
 * Every payload type is GENERATED from the gateway's OpenAPI (the gateway documents its events as
 * schemas on `GET /api/events`); only the pairing of an event name with its payload is written
 * here. The parser still checks every field it relies on: a stream is input like any other.
 */
import { parseAlert, type Alert } from "./alerts";
import type { components } from "./schema";
import type { DeviceList, Value } from "./types";

type Schemas = components["schemas"];

export type ReadingData = Schemas["ReadingEvent"];
export type ActuatorData = Schemas["ActuatorEvent"];
export type StatusData = Schemas["StatusEvent"];
export type MetaData = Schemas["MetaEvent"];
export type AckData = Schemas["CommandAck"];
export type BrokerData = Schemas["BrokerEvent"];
/** `epoch`, `expired` or `behind` today; a reason this page does not know is still a reset. */
export type ResetData = Omit<Schemas["ResetEvent"], "reason"> & { reason: string };
export type AckStatus = AckData["status"];

export type StreamEvent =
  | { type: "snapshot"; id: string | null; data: SnapshotData }
  | { type: "reading"; id: string | null; data: ReadingData }
  | { type: "actuator"; id: string | null; data: ActuatorData }
  | { type: "status"; id: string | null; data: StatusData }
  | { type: "meta"; id: string | null; data: MetaData }
  | { type: "ack"; id: string | null; data: AckData }
  | { type: "broker"; id: string | null; data: BrokerData }
  | { type: "alert"; id: string | null; data: Alert }
  | { type: "reset"; id: null; data: ResetData };

/** The snapshot: `GET /api/devices`, plus the alerts now pending or firing (CONTRACT.md v3). */
export type SnapshotData = DeviceList & { alerts?: Alert[] };

export type StreamEventType = StreamEvent["type"];

/** Every event name the dashboard listens for; anything else on the stream is ignored. */
export const EVENT_TYPES: readonly StreamEventType[] = [
  "snapshot",
  "reading",
  "actuator",
  "status",
  "meta",
  "ack",
  "broker",
  "reset",
  // CONTRACT.md v3, Alerts: after the v2 names (tests/dashboard/test_openapi_types.py).
  "alert",
];

const ACK_STATUSES: readonly string[] = ["ok", "error", "rejected", "expired"];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isValue(value: unknown): value is Value {
  return typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
}

/** A seq is a JSON integer in [0, 2^53) (CONTRACT.md); anything else is refused. */
export function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function optionalString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function pointState(data: Json, point: "sensor" | "actuator"): Json | null {
  const name = data[point];
  if (
    typeof data.device !== "string" ||
    typeof name !== "string" ||
    !isValue(data.value) ||
    typeof data.ts !== "string" ||
    !isSeq(data.seq)
  ) {
    return null;
  }
  return {
    device: data.device,
    [point]: name,
    value: data.value,
    unit: optionalString(data.unit),
    ts: data.ts,
    seq: data.seq,
    boot: optionalString(data.boot) ?? "",
    hist: data.hist === true,
  };
}

/**
 * Turn one raw event (its name, its already JSON-decoded data and its id) into a typed event, or
 * `null` when it is not one the dashboard knows or its data is off the contract. A `null` is
 * dropped by the caller; it never reaches the reducer.
 */
export function parseEvent(type: string, data: unknown, id: string | null): StreamEvent | null {
  if (!isObject(data)) return null;
  switch (type) {
    case "snapshot": {
      if (!Array.isArray(data.devices)) return null;
      return {
        type,
        id,
        data: {
          devices: data.devices.filter(isDeviceLike) as DeviceList["devices"],
          // A gateway without alerts (or before v3) sends none: an empty list, not "unknown".
          alerts: Array.isArray(data.alerts)
            ? data.alerts.map(parseAlert).filter((alert) => alert !== null)
            : [],
        },
      };
    }
    case "alert": {
      const alert = parseAlert(data);
      return alert ? { type, id, data: alert } : null;
    }
    case "reading": {
      const reading = pointState(data, "sensor");
      return reading ? { type, id, data: reading as unknown as ReadingData } : null;
    }
    case "actuator": {
      const state = pointState(data, "actuator");
      return state ? { type, id, data: state as unknown as ActuatorData } : null;
    }
    case "status":
      return typeof data.device === "string" && typeof data.online === "boolean"
        ? { type, id, data: { device: data.device, online: data.online } }
        : null;
    case "meta": {
      if (typeof data.device !== "string") return null;
      // `{"meta": null, "removed": true}`: the device was removed on the broker (docs/events.md).
      if (data.meta === null && data.removed === true) {
        return { type, id, data: { device: data.device, meta: null, removed: true } };
      }
      return isObject(data.meta)
        ? { type, id, data: { device: data.device, meta: data.meta as MetaData["meta"], removed: false } }
        : null;
    }
    case "ack":
      if (
        typeof data.device !== "string" ||
        typeof data.actuator !== "string" ||
        typeof data.status !== "string" ||
        !ACK_STATUSES.includes(data.status)
      ) {
        return null;
      }
      return {
        type,
        id,
        data: {
          device: data.device,
          actuator: data.actuator,
          cid: optionalString(data.cid),
          status: data.status as AckStatus,
          value: isValue(data.value) ? data.value : null,
          error: optionalString(data.error),
        },
      };
    case "broker":
      return typeof data.connected === "boolean"
        ? { type, id, data: { connected: data.connected } }
        : null;
    case "reset":
      return { type, id: null, data: { reason: optionalString(data.reason) ?? "" } };
    default:
      return null;
  }
}

function isDeviceLike(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.id === "string" &&
    isObject(value.sensors) &&
    isObject(value.actuators)
  );
}
