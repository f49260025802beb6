/**
 * The dashboard's state and the one pure function that changes it.
 *
 * Everything the page shows is derived from `State`; every input (a stream event, a history page,
 * a command's outcome, the clock) is an `Action`. No I/O, no timers, no `Date.now()` in here: the
 * clock arrives in actions, so every rule below is a plain unit test (reducer.test.ts).
 *
 * The rule that keeps the view honest: per device and point, a value with a lower `seq` never
 * replaces one with a higher `seq` (CONTRACT.md: seq goes up by one per state message, is persisted
 * and never reused). So a replayed `hist` reading, a late history page or a snapshot that raced a
 * live event can fill the sparkline but can never roll the current value back.
 */
import { alertKey, type Alert } from "../api/alerts";
import type { AckStatus, ActuatorData, ReadingData, StreamEvent } from "../api/events";
import type {
  CommandAck,
  Device,
  DeviceMeta,
  HistoryReading,
  PointMeta,
  PointState,
  Value,
} from "../api/types";

/** Readings kept per sensor for the sparkline; at the limit the oldest (lowest seq) is dropped. */
export const HISTORY_LIMIT = 120;
/** A point is stale when nothing arrived for this many times its expected publish period. */
export const STALE_FACTOR = 2.5;

export interface Point {
  value: Value | null;
  unit: string | null;
  ts: string | null;
  seq: number | null;
  /** The agent run (`boot`) that published the value; `null` when it came from a snapshot. */
  boot: string | null;
  /** The gateway's verdict at the last snapshot (the point missed its expected updates). */
  gatewayStale: boolean;
  /** The client's clock (ms) when this value arrived: the base of the client's own stale check. */
  receivedAt: number;
  /** `gatewayStale`, or nothing new for STALE_FACTOR × the expected period by the client's clock. */
  stale: boolean;
}

export interface HistoryPoint {
  seq: number;
  ts: string;
  value: Value;
}

export interface DeviceState {
  id: string;
  meta: DeviceMeta | null;
  online: boolean;
  lastSeen: string | null;
  sensors: Readonly<Record<string, Point>>;
  actuators: Readonly<Record<string, Point>>;
  /** Per sensor, oldest first, unique seqs, at most HISTORY_LIMIT entries. */
  history: Readonly<Record<string, readonly HistoryPoint[]>>;
  /** The client's clock (ms) when the device last said anything live (a state or `online`):
   * the base of "quiet" (health.ts). `null` until it has, since this page opened. */
  heardAt: number | null;
  /** The client's clock (ms) when a command to the device timed out with nothing heard from it
   * since; cleared by the device's next live message. */
  notRespondingSince: number | null;
}

/** The transport's state: the first connection, a working stream, or waiting to reconnect. */
export type Phase = "connecting" | "live" | "reconnecting";

export type CommandStatus = "pending" | "acknowledged" | "failed";

export interface Command {
  /** The client's own number for this send; a late outcome of an older send is ignored. */
  id: number;
  value: Value;
  status: CommandStatus;
  cid: string | null;
  reason: string | null;
  /** The client's clock (ms) when the outcome (ack or failure) arrived; `null` while pending. */
  settledAt: number | null;
}

export interface State {
  devices: Readonly<Record<string, DeviceState>>;
  phase: Phase;
  /** `null` until known; `false` while the gateway has lost its MQTT broker. */
  brokerConnected: boolean | null;
  /** A snapshot has been applied and no `reset` came after it. */
  synced: boolean;
  /** How many snapshots were applied; the app reloads sparkline history when it changes. */
  snapshots: number;
  resets: number;
  lastResetReason: string | null;
  /** Keyed by `commandKey(device, actuator)`: the latest command sent from this page. */
  commands: Readonly<Record<string, Command>>;
  /** Alerts now pending or firing, keyed by `alertKey` (CONTRACT.md v3 "Alerts"). */
  alerts: Readonly<Record<string, Alert>>;
  /** The client's clock (ms) at the last action that carried it. */
  now: number;
}

export type Action =
  | { type: "event"; event: StreamEvent; now: number }
  /** The events of one animation frame, applied in order in one render (live/frameBatch.ts). */
  | { type: "events"; events: readonly StreamEvent[]; now: number }
  | { type: "history"; device: string; sensor: string; readings: readonly HistoryReading[] }
  | { type: "phase"; phase: Phase }
  | { type: "readiness"; ready: boolean }
  | { type: "tick"; now: number }
  | { type: "commandSent"; device: string; actuator: string; value: Value; id: number }
  | { type: "commandAcked"; device: string; actuator: string; id: number; ack: CommandAck; now?: number }
  | {
      type: "commandFailed";
      device: string;
      actuator: string;
      id: number;
      reason: string;
      /** No ack in time (504): the device is then shown as "not responding". */
      timedOut?: boolean;
      now?: number;
    };

export function initialState(now: number): State {
  return {
    devices: {},
    phase: "connecting",
    brokerConnected: null,
    synced: false,
    snapshots: 0,
    resets: 0,
    lastResetReason: null,
    commands: {},
    alerts: {},
    now,
  };
}

export function commandKey(device: string, actuator: string): string {
  return `${device}/${actuator}`;
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "event":
      return applyEvent({ ...state, now: action.now }, action.event);
    case "events": {
      let next: State = { ...state, now: action.now };
      drafts = new WeakSet();
      try {
        for (const event of action.events) next = applyEvent(next, event);
      } finally {
        drafts = null;
      }
      return next;
    }
    case "history":
      return applyHistory(state, action.device, action.sensor, action.readings);
    case "phase":
      return action.phase === state.phase ? state : { ...state, phase: action.phase };
    case "readiness":
      // /readyz answers 503 while the gateway has no broker (or has not loaded the retained state).
      return { ...state, brokerConnected: action.ready };
    case "tick":
      return tick(state, action.now);
    case "commandSent":
      return {
        ...state,
        commands: {
          ...state.commands,
          [commandKey(action.device, action.actuator)]: {
            id: action.id,
            value: action.value,
            status: "pending",
            cid: null,
            reason: null,
            settledAt: null,
          },
        },
      };
    case "commandAcked": {
      const now = action.now ?? state.now;
      return resolveCommand(state, action.device, action.actuator, (command) =>
        command.id === action.id ? withAck(command, action.ack.status, action.ack, now) : null,
      );
    }
    case "commandFailed": {
      const now = action.now ?? state.now;
      const failed = resolveCommand(state, action.device, action.actuator, (command) =>
        command.id === action.id
          ? { ...command, status: "failed", reason: action.reason, settledAt: now }
          : null,
      );
      const device = failed.devices[action.device];
      if (!action.timedOut || device === undefined || device.notRespondingSince !== null) return failed;
      return putDevice(failed, { ...device, notRespondingSince: now });
    }
  }
}

function applyEvent(state: State, event: StreamEvent): State {
  switch (event.type) {
    case "snapshot": {
      const synced = applySnapshot(state, event.data.devices);
      const alerts = Object.fromEntries((event.data.alerts ?? []).map((alert) => [alertKey(alert), alert]));
      return { ...synced, alerts };
    }
    case "reading":
      return applyReading(state, event.data);
    case "actuator":
      return applyActuator(state, event.data);
    case "status": {
      const device = state.devices[event.data.device] ?? emptyDevice(event.data.device);
      // `offline` is usually the broker's Last Will, not a word from the device: it says nothing
      // about when the device was last heard, so `lastSeen` stays its last message (issue 15).
      if (!event.data.online) return putDevice(state, { ...device, online: false });
      return putDevice(state, heard({ ...device, online: true, lastSeen: later(device.lastSeen, new Date(state.now).toISOString()) }, state.now));
    }
    case "alert": {
      const key = alertKey(event.data);
      if (event.data.state === "resolved") {
        if (!(key in state.alerts)) return state;
        return { ...state, alerts: without(state.alerts, key) };
      }
      return { ...state, alerts: { ...state.alerts, [key]: event.data } };
    }
    case "meta": {
      const { device: id, meta, removed } = event.data;
      if (removed) return removeDevice(state, id);
      if (meta === null) return state;
      const device = state.devices[id] ?? emptyDevice(id);
      return putDevice(state, restale({ ...device, meta }, state.now));
    }
    case "ack": {
      const ack = event.data;
      return resolveCommand(state, ack.device, ack.actuator, (command) => {
        if (command.status !== "pending") return null;
        // The gateway chose the cid; until our POST returns we know only the value we asked for.
        const ours = command.cid !== null ? command.cid === ack.cid : sameValue(command.value, ack.value);
        return ours ? withAck(command, ack.status, ack, state.now) : null;
      });
    }
    case "broker":
      return { ...state, brokerConnected: event.data.connected };
    case "reset":
      // Keep showing what we have: the snapshot that follows a reset repairs it in place.
      return {
        ...state,
        synced: false,
        resets: state.resets + 1,
        lastResetReason: event.data.reason,
      };
  }
}

function applySnapshot(state: State, devices: readonly Device[]): State {
  const next: Record<string, DeviceState> = {};
  for (const fresh of devices) {
    const old = state.devices[fresh.id];
    const meta = fresh.meta ?? old?.meta ?? null;
    let history = old?.history ?? {};
    for (const [sensor, point] of Object.entries(fresh.sensors)) {
      if (point.seq !== null && point.ts !== null && point.value !== null) {
        history = withHistory(history, sensor, [{ seq: point.seq, ts: point.ts, value: point.value }]);
      }
    }
    next[fresh.id] = {
      id: fresh.id,
      meta,
      online: fresh.online,
      lastSeen: later(old?.lastSeen ?? null, fresh.last_seen),
      sensors: mergePoints(old?.sensors, fresh.sensors, meta?.sensors, state.now),
      actuators: mergePoints(old?.actuators, fresh.actuators, meta?.actuators, state.now),
      history,
      // The snapshot vouches for an online device now, as a live message would.
      heardAt: fresh.online ? state.now : (old?.heardAt ?? null),
      notRespondingSince: old?.notRespondingSince ?? null,
    };
  }
  // The snapshot is the gateway's whole device set: a device it no longer lists is gone.
  return { ...state, devices: next, synced: true, snapshots: state.snapshots + 1 };
}

function mergePoints(
  old: Readonly<Record<string, Point>> | undefined,
  fresh: Readonly<Record<string, PointState>>,
  metas: Readonly<Record<string, PointMeta>> | undefined,
  now: number,
): Record<string, Point> {
  const merged: Record<string, Point> = {};
  for (const [id, point] of Object.entries(fresh)) {
    const current = old?.[id];
    if (current && current.seq !== null && (point.seq === null || point.seq < current.seq)) {
      merged[id] = current; // we already hold a newer value than the snapshot
      continue;
    }
    const sameReading = current !== undefined && current.seq === point.seq;
    const gatewayStale = point.stale;
    // The gateway vouches for freshness now; our own clock starts counting from here.
    const receivedAt = sameReading ? current.receivedAt : now;
    const next: Point = {
      value: point.value,
      unit: point.unit ?? null,
      ts: point.ts,
      seq: point.seq,
      boot: sameReading ? current.boot : null,
      gatewayStale,
      receivedAt,
      stale: false,
    };
    merged[id] = { ...next, stale: computeStale(next, metas?.[id], now) };
  }
  return merged;
}

function applyReading(state: State, reading: ReadingData): State {
  const device = afterCounterLoss(
    state.devices[reading.device] ?? emptyDevice(reading.device, !reading.hist),
    reading,
    reading.sensor,
  );
  const history = withHistory(device.history, reading.sensor, [
    { seq: reading.seq, ts: reading.ts, value: reading.value },
  ]);
  const sensors = withPoint(device.sensors, reading.sensor, reading, state.now);
  const lastSeen = reading.hist ? device.lastSeen : later(device.lastSeen, reading.ts);
  if (
    sensors === device.sensors &&
    history === device.history &&
    lastSeen === device.lastSeen &&
    device === state.devices[reading.device]
  ) {
    return state; // a repeated reading (same device, same seq): nothing new
  }
  const updated = { ...device, sensors, history, lastSeen };
  return putDevice(state, reading.hist ? updated : heard(updated, state.now));
}

function applyActuator(state: State, data: ActuatorData): State {
  const device = afterCounterLoss(
    state.devices[data.device] ?? emptyDevice(data.device, !data.hist),
    data,
    data.actuator,
  );
  const actuators = withPoint(device.actuators, data.actuator, data, state.now);
  const lastSeen = data.hist ? device.lastSeen : later(device.lastSeen, data.ts);
  if (
    actuators === device.actuators &&
    lastSeen === device.lastSeen &&
    device === state.devices[data.device]
  ) {
    return state;
  }
  const updated = { ...device, actuators, lastSeen };
  const next = putDevice(state, data.hist ? updated : heard(updated, state.now));
  return clearOutdatedCommand(next, data.device, data.actuator, device.actuators[data.actuator], actuators[data.actuator]);
}

/**
 * A settled command's note ("on: acknowledged 14:02:03") describes the state it produced; when
 * the reported value changes to something else (another client, a schedule, the device itself),
 * the note would mislead under the switch, so it goes (issue 15).
 */
function clearOutdatedCommand(
  state: State,
  device: string,
  actuator: string,
  before: Point | undefined,
  after: Point | undefined,
): State {
  const key = commandKey(device, actuator);
  const command = state.commands[key];
  if (command === undefined || command.status === "pending" || after === undefined || after.value === null) {
    return state;
  }
  const changed = before === undefined || before.value === null || !sameValue(after.value, before.value);
  if (!changed || sameValue(command.value, after.value)) return state;
  return { ...state, commands: without(state.commands, key) };
}

/** The device said something live at `now`: it is heard, and responding again. */
function heard(device: DeviceState, now: number): DeviceState {
  return { ...device, heardAt: now, notRespondingSince: null };
}

/**
 * The one exception to the seq rule, as the gateway makes it (docs/consumers.md): a live state of
 * the device's current boot (its meta's `boot`), from another run than the value we hold, with a
 * lower seq, means the agent lost its stored counter (a new SD card, say). Then every seq held for
 * the device is forgotten, and its history too (old and new seqs no longer order in time), so the
 * device's new values show instead of being ignored as old ones.
 */
function afterCounterLoss(
  device: DeviceState,
  update: { seq: number; boot: string; hist: boolean },
  point: string,
): DeviceState {
  const current = device.sensors[point] ?? device.actuators[point];
  const lost =
    !update.hist &&
    device.meta !== null &&
    update.boot === device.meta.boot &&
    current !== undefined &&
    current.seq !== null &&
    update.seq < current.seq &&
    current.boot !== update.boot;
  if (!lost) return device;
  const forget = (points: Readonly<Record<string, Point>>) =>
    Object.fromEntries(Object.entries(points).map(([id, p]) => [id, { ...p, seq: null }]));
  return { ...device, sensors: forget(device.sensors), actuators: forget(device.actuators), history: {} };
}

/** The seq rule: only a strictly newer seq replaces the current value of a point. */
function withPoint(
  points: Readonly<Record<string, Point>>,
  id: string,
  update: { value: Value; unit: string | null; ts: string; seq: number; boot: string },
  now: number,
): Readonly<Record<string, Point>> {
  const current = points[id];
  if (current !== undefined && current.seq !== null && update.seq <= current.seq) return points;
  return {
    ...points,
    [id]: {
      value: update.value,
      unit: update.unit ?? current?.unit ?? null,
      ts: update.ts,
      seq: update.seq,
      boot: update.boot || null,
      gatewayStale: false,
      receivedAt: now,
      stale: false,
    },
  };
}

function applyHistory(
  state: State,
  deviceId: string,
  sensor: string,
  readings: readonly HistoryReading[],
): State {
  const device = state.devices[deviceId];
  if (device === undefined) return state; // the device left while its history was loading
  const history = withHistory(device.history, sensor, readings);
  return history === device.history ? state : putDevice(state, { ...device, history });
}

/** Merge readings into one sensor's history: unique by seq, ordered by seq, bounded. */
export function withHistory(
  history: Readonly<Record<string, readonly HistoryPoint[]>>,
  sensor: string,
  readings: readonly HistoryPoint[],
): Readonly<Record<string, readonly HistoryPoint[]>> {
  const current = history[sensor] ?? [];
  const known = new Set(current.map((point) => point.seq));
  const added = readings.filter((reading) => {
    if (known.has(reading.seq)) return false;
    known.add(reading.seq);
    return true;
  });
  if (added.length === 0) return history;
  const merged = [...current, ...added.map(({ seq, ts, value }) => ({ seq, ts, value }))];
  merged.sort((a, b) => a.seq - b.seq);
  const bounded = merged.length > HISTORY_LIMIT ? merged.slice(-HISTORY_LIMIT) : merged;
  if (bounded.length === current.length && bounded.every((point, i) => point === current[i])) {
    return history; // everything added was older than a full history keeps
  }
  return { ...history, [sensor]: bounded };
}

function tick(state: State, now: number): State {
  let devices = state.devices;
  for (const device of Object.values(state.devices)) {
    const updated = restale(device, now);
    if (updated !== device) devices = { ...devices, [device.id]: updated };
  }
  return { ...state, devices, now };
}

/** Recompute the stale flags of a device's points; the same object when nothing changed. */
function restale(device: DeviceState, now: number): DeviceState {
  const sensors = restalePoints(device.sensors, device.meta?.sensors, now);
  const actuators = restalePoints(device.actuators, device.meta?.actuators, now);
  return sensors === device.sensors && actuators === device.actuators
    ? device
    : { ...device, sensors, actuators };
}

function restalePoints(
  points: Readonly<Record<string, Point>>,
  metas: Readonly<Record<string, PointMeta>> | undefined,
  now: number,
): Readonly<Record<string, Point>> {
  let result = points;
  for (const [id, point] of Object.entries(points)) {
    const stale = computeStale(point, metas?.[id], now);
    if (stale !== point.stale) result = { ...result, [id]: { ...point, stale } };
  }
  return result;
}

const BINARY_KINDS: ReadonlySet<string> = new Set(["digital", "motion"]);

export function isBinaryKind(kind: string | undefined): boolean {
  return kind !== undefined && BINARY_KINDS.has(kind);
}

/**
 * How often (seconds) a point is expected to publish, or `null` when silence is normal: the
 * heartbeat bounds every silence; without one, an analog sensor with no deadband publishes every
 * `interval`; an edge-triggered input or a deadbanded sensor may legitimately stay quiet.
 */
export function expectedPeriod(meta: PointMeta | undefined): number | null {
  if (meta === undefined) return null;
  if (meta.heartbeat != null && meta.heartbeat > 0) return meta.heartbeat;
  if (isBinaryKind(meta.kind) || (meta.deadband ?? 0) > 0) return null;
  return meta.interval != null && meta.interval > 0 ? meta.interval : null;
}

export function computeStale(point: Point, meta: PointMeta | undefined, now: number): boolean {
  if (point.gatewayStale) return true;
  const period = expectedPeriod(meta);
  return period !== null && point.seq !== null && now - point.receivedAt > STALE_FACTOR * period * 1000;
}

function resolveCommand(
  state: State,
  device: string,
  actuator: string,
  change: (command: Command) => Command | null,
): State {
  const key = commandKey(device, actuator);
  const command = state.commands[key];
  if (command === undefined) return state;
  const next = change(command);
  return next === null ? state : { ...state, commands: { ...state.commands, [key]: next } };
}

function withAck(
  command: Command,
  status: AckStatus,
  ack: { cid?: string | null; error?: string | null },
  now: number,
): Command {
  return status === "ok"
    ? { ...command, status: "acknowledged", cid: ack.cid ?? null, reason: null, settledAt: now }
    : {
        ...command,
        status: "failed",
        cid: ack.cid ?? null,
        reason: ackReason(status, ack.error),
        settledAt: now,
      };
}

/** Why a device refused a command, in words. */
export function ackReason(status: AckStatus, error: string | null | undefined): string {
  const base: Record<AckStatus, string> = {
    ok: "acknowledged",
    error: "the device could not carry it out",
    rejected: "the device rejected it",
    expired: "it expired before the device got it",
  };
  return error ? `${base[status]}: ${error}` : base[status];
}

function sameValue(a: Value, b: Value | null): boolean {
  if (b === null) return false;
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) < 1e-9;
  return a === b;
}

function emptyDevice(id: string, online = false): DeviceState {
  return {
    id,
    meta: null,
    online,
    lastSeen: null,
    sensors: {},
    actuators: {},
    history: {},
    heardAt: null,
    notRespondingSince: null,
  };
}

/** The device was removed on the broker (its retained meta/status cleared): forget it and its
 * commands. */
function removeDevice(state: State, id: string): State {
  if (!(id in state.devices)) return state;
  const devices = Object.fromEntries(Object.entries(state.devices).filter(([key]) => key !== id));
  const prefix = commandKey(id, "");
  const commands = Object.fromEntries(
    Object.entries(state.commands).filter(([key]) => !key.startsWith(prefix)),
  );
  const alerts = Object.fromEntries(Object.entries(state.alerts).filter(([, alert]) => alert.device !== id));
  return { ...state, devices, commands, alerts };
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([other]) => other !== key));
}

/**
 * While one `events` batch runs: the device maps this batch made itself. Nothing outside the
 * batch holds them yet, so a later event of the same batch may change them in place instead of
 * copying 1,000 devices per reading (bench/dashboard/). `null` outside a batch.
 */
let drafts: WeakSet<object> | null = null;

function putDevice(state: State, device: DeviceState): State {
  if (drafts !== null && drafts.has(state.devices)) {
    (state.devices as Record<string, DeviceState>)[device.id] = device;
    return { ...state };
  }
  const devices = { ...state.devices, [device.id]: device };
  drafts?.add(devices);
  return { ...state, devices };
}

/** The later of two ISO timestamps (either may be missing). */
function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
