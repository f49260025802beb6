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


# --- the stream's events (docs/events.md); documented on GET /api/events -------------------------
class ReadingEvent(BaseModel):
    device: str
    sensor: str
    value: JsonValue
    unit: str | None
    ts: str
    seq: int
    boot: str
    hist: bool = Field(description="a late reading (backlog or replay): history, not the value now")


class ActuatorEvent(BaseModel):
    device: str
    actuator: str
    value: JsonValue
    unit: str | None
    ts: str
    seq: int
    boot: str
    hist: bool


class StatusEvent(BaseModel):
    device: str
    online: bool


class MetaEvent(BaseModel):
    device: str
    meta: DeviceMeta | None
    removed: bool = Field(False, description="true (and meta null): drop the device")


class BrokerEvent(BaseModel):
    connected: bool


class ResetEvent(BaseModel):
    reason: Literal["epoch", "expired", "behind"]


class StreamEvent(BaseModel):
    """One event: on SSE as ``id:``/``event:``/``data:`` lines, on the WebSocket as this JSON."""

    id: str | None = Field(description="<epoch>-<n>; null for reset")
    type: Literal["snapshot", "reading", "actuator", "status", "meta", "ack", "broker", "reset"]
    data: (
        Devices
        | ReadingEvent
        | ActuatorEvent
        | StatusEvent
        | MetaEvent
        | CommandAck
        | BrokerEvent
        | ResetEvent
    )
