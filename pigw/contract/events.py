"""The live stream's vocabulary (CONTRACT.md, "The event stream"): every event name and the fields
of its data, for the gateway that sends them and for everyone who reads them. Standard library only.

The same event reaches a client as SSE (``event:`` is the name, ``data:`` the JSON) and as a
WebSocket message ``{"id", "type", "data"}``. The checks that hold everything else to this module:

- the hub publishes only a :data:`LiveEventName` (mypy);
- ``gateway/api/schemas.py`` takes :data:`EventName` and :data:`ResetReason` from here, and
  ``tests/dashboard/test_openapi_types.py`` holds every documented event model (and so the
  dashboard's TypeScript, generated from that OpenAPI) and the dashboard's list of event names
  against the ``TypedDict`` of each event below;
- ``tests/gateway/test_schemas.py`` validates every event the hub actually emits against those
  documented models.

A new event or field is added here first.
"""

# No ``from __future__ import annotations`` here: TypedDict reads NotRequired from the evaluated
# annotations (with postponed ones, Python 3.11 would count every key as required).
from typing import Any, Final, Literal, NotRequired, TypedDict, get_args

#: Every event name a stream may carry, in the order OpenAPI documents them.
#: (``alert`` is Contract v3's, after the v2 names.)
EventName = Literal[
    "snapshot", "reading", "actuator", "status", "meta", "ack", "broker", "reset", "alert"
]
#: Events that carry a device, subject to the ``device=`` and ``type=`` filters.
DeviceEventName = Literal["reading", "status", "meta", "actuator", "ack", "alert"]
#: Events numbered into the gateway's ring (``snapshot`` and ``reset`` are per stream).
LiveEventName = Literal[DeviceEventName, "broker"]
#: Why a stream starts over: another gateway run, an id older than the ring, a client too slow.
ResetReason = Literal["epoch", "expired", "behind"]

EVENT_NAMES: Final[tuple[str, ...]] = get_args(EventName)
DEVICE_EVENTS: Final = frozenset(get_args(DeviceEventName))
LIVE_EVENTS: Final = DEVICE_EVENTS | {"broker"}
RESET_REASONS: Final[tuple[str, ...]] = get_args(ResetReason)

#: A point's value on the stream (JSON: true/false or a finite number).
EventValue = bool | int | float


class SnapshotData(TypedDict):
    """``devices`` exactly as ``GET /api/devices``, and (Contract v3) the alerts now pending or
    firing, both filtered like the stream."""

    devices: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


class ReadingData(TypedDict):
    device: str
    sensor: str
    value: EventValue
    unit: str | None
    ts: str
    seq: int
    boot: str
    #: False for a live reading; true for a late one (backlog or replay): history, not "now".
    hist: bool


class ActuatorData(TypedDict):
    """As ``reading``, with ``actuator`` in place of ``sensor``."""

    device: str
    actuator: str
    value: EventValue
    unit: str | None
    ts: str
    seq: int
    boot: str
    hist: bool


class StatusData(TypedDict):
    device: str
    online: bool


class MetaData(TypedDict):
    device: str
    #: The device's meta document; ``None`` with ``removed`` when its retained meta was cleared.
    meta: dict[str, Any] | None
    removed: NotRequired[bool]


class AckData(TypedDict):
    device: str
    actuator: str
    cid: str | None
    status: str  # ok, error, rejected, expired (pigw.contract.AckStatus)
    value: EventValue | None
    error: NotRequired[str]


class BrokerData(TypedDict):
    connected: bool


class ResetData(TypedDict):
    reason: ResetReason


class AlertData(TypedDict):
    """One alert (Contract v3, docs/alerts.md): also the webhook body and the retained
    ``pigw/_alerts/…`` payload."""

    rule: str
    device: str
    point: str | None  # None for device rules (offline)
    state: str  # pending, firing, resolved
    severity: str  # info, warning, critical
    value: EventValue | None
    since: str  # when the condition began
    ts: str  # when the alert entered this state
    acknowledged_by: str | None


#: The data of each event, by name.
EVENT_DATA: Final[dict[str, type]] = {
    "snapshot": SnapshotData,
    "reading": ReadingData,
    "actuator": ActuatorData,
    "status": StatusData,
    "meta": MetaData,
    "ack": AckData,
    "broker": BrokerData,
    "reset": ResetData,
    "alert": AlertData,
}


def data_fields(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """The required and the optional fields of event ``name``'s data."""
    data: Any = EVENT_DATA[name]
    return frozenset(data.__required_keys__), frozenset(data.__optional_keys__)
