"""Response and request models: what OpenAPI (and the dashboard's generated types) says the JSON
is. Routes that serve the registry's views return them as they are (the same bytes the snapshot
event carries); these models document them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from pigw.contract import DeviceMeta
from pigw.contract.events import EventName, ResetReason

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


class RecorderStatus(BaseModel):
    """The history store's state (issue 14); it never makes the gateway unready."""

    enabled: bool
    store: str = Field(description="the --history-url without a password, or none")
    ok: bool = Field(description="open and writing (true when disabled)")
    open: bool | None = None
    failing: str | None = Field(
        None, description="why it is failing now: disk_full, locked, corrupt, connection, io, other"
    )
    error: str | None = None
    queued: int | None = Field(None, description="readings waiting for the store")
    queue_limit: int | None = None
    dropped: int | None = Field(None, description="readings refused at the queue limit (replayed)")
    written: int | None = None


class Readiness(BaseModel):
    ready: bool
    broker_connected: bool
    retained_loaded: bool
    recorder: RecorderStatus


class Problem(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    """One entry of FastAPI's validation error list."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    """A 422: pigw's own checks answer with one message, FastAPI's request validation with a list."""

    detail: str | list[ValidationIssue]


def unprocessable(description: str) -> dict[int | str, dict[str, object]]:
    """The 422 of a route whose handler refuses values of its own beside FastAPI's validation."""
    return {422: {"model": ValidationProblem, "description": description}}


#: The 400 of a route with a JSON body: FastAPI's answer to a body that is not JSON at all.
UNREADABLE_BODY: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "the body could not be parsed"}
}


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


class AlertEvent(BaseModel):
    """One alert (CONTRACT.md v3 "Alerts"): the ``alert`` event, an entry of ``GET /api/alerts``,
    the webhook body and the retained ``pigw/_alerts/…`` payload are all this JSON."""

    rule: str
    device: str
    point: str | None = Field(description="the sensor or actuator; null for device rules (offline)")
    state: Literal["pending", "firing", "resolved"]
    severity: Literal["info", "warning", "critical"]
    value: JsonValue | None = Field(description="the value that caused this state; null if none")
    since: str = Field(description="when the condition began (UTC ISO-8601 with milliseconds)")
    ts: str = Field(description="when the alert entered this state")
    acknowledged_by: str | None = Field(
        description="who acknowledged the firing alert (a token's name, 'open' in open mode)"
    )


class Alerts(BaseModel):
    active: list[AlertEvent] = Field(description="pending and firing, oldest condition first")
    recent: list[AlertEvent] = Field(description="notified transitions, newest first")


class Snapshot(Devices):
    """A ``snapshot`` event's data: the devices as ``GET /api/devices``, and the active alerts."""

    alerts: list[AlertEvent] = Field(description="alerts now pending or firing")


class ResetEvent(BaseModel):
    reason: ResetReason


#: The names and data fields come from pigw/contract/events.py (checked in
#: tests/dashboard/test_openapi_types.py).
StreamEventType = EventName


class StreamEvent(BaseModel):
    """One event as the WebSocket sends it; SSE sends the same as ``id:``/``event:``/``data:``
    lines (:class:`SseEvent`)."""

    id: str | None = Field(description="<epoch>-<n>; null for reset")
    type: StreamEventType
    data: (
        Snapshot
        | ReadingEvent
        | ActuatorEvent
        | StatusEvent
        | MetaEvent
        | CommandAck
        | BrokerEvent
        | AlertEvent
        | ResetEvent
    )


class SseEvent(BaseModel):
    """One event of ``GET /api/events`` as an SSE parser hands it over (``retry:`` comes once,
    before the first event; ``: ping`` comments carry nothing)."""

    id: str | None = Field(
        None, description="<epoch>-<n>, what Last-Event-ID resumes from; none on reset"
    )
    event: StreamEventType | None = None
    data: str | None = Field(
        None,
        description="JSON: the `data` of a StreamEvent of this type",
        json_schema_extra={
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/StreamEvent/properties/data"},
        },
    )
    retry: int | None = Field(None, description="milliseconds an EventSource waits to reconnect")
