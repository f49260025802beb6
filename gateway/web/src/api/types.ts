/**
 * The REST shapes the dashboard uses, named in the domain's words. Every one is an alias of a type
 * GENERATED from the gateway's OpenAPI (`schema.ts`, `npm run gen:api`): none is written by hand,
 * so a change of the gateway's schemas shows up here as a type error.
 */
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Device = Schemas["Device"];
export type DeviceList = Schemas["Devices"];
export type DeviceMeta = Schemas["DeviceMeta"];
export type PointMeta = Schemas["SensorMeta"] | Schemas["ActuatorMeta"];
export type PointState = Schemas["Point"];
export type HistoryResponse = Schemas["History"];
export type HistoryReading = Schemas["HistoryReading"];
export type CommandAck = Schemas["CommandAck"];
export type Session = Schemas["Session"];
export type Readiness = Schemas["Readiness"];

/** A reading's value: true/false for digital inputs and on/off outputs, a number otherwise. */
export type Value = HistoryReading["value"];
