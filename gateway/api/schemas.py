"""Response and request models: what OpenAPI (and the dashboard's generated types) says the JSON
is. Routes that serve the registry's views return them as they are (the same bytes the snapshot
event carries); these models document them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from pigw.contract import DeviceMeta

JsonValue = bool | int | float


class Point(BaseModel):
    value: JsonValue | None = Field(description="the latest value; null before the first reading")
    unit: str | None
    ts: str | None = Field(description="UTC ISO-8601 with milliseconds, from the device")
    seq: int | None
    stale: bool = Field(
        description="nothing received within 2.5 x the heartbeat (or interval) the meta declares"
    )


class Device(BaseModel):
    id: str
    meta: DeviceMeta | None
    online: bool
    last_seen: str | None
    sensors: dict[str, Point]
    actuators: dict[str, Point]


class Devices(BaseModel):
    devices: list[Device]


class HistoryReading(BaseModel):
    value: JsonValue
    ts: str
    seq: int


class History(BaseModel):
    device: str
    sensor: str
    readings: list[HistoryReading]


class CommandRequest(BaseModel):
    value: bool | int | float | Annotated[str, Field(max_length=32)] = Field(
        description="relay/LED: ON/OFF/true/false/1/0; PWM: a number in [0, 1]"
    )


class CommandAck(BaseModel):
    device: str
    actuator: str
    cid: str | None
    status: Literal["ok", "error", "rejected", "expired"]
    value: JsonValue | None
    error: str | None = None


class SessionRequest(BaseModel):
    token: Annotated[str, Field(min_length=1, max_length=256)]


class Session(BaseModel):
    name: str | None = Field(description="the token's name; null when the gateway is open")
    role: Literal["viewer", "operator"]
    auth: Literal["token", "open"] = Field(description="open: no tokens file (loopback demo)")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    broker_connected: bool
    retained_loaded: bool


class Problem(BaseModel):
    detail: str
