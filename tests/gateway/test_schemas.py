"""The documented models (OpenAPI, and so the dashboard's generated types) match what the gateway
really sends."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from gateway.alerts.alert import Alert
from gateway.api import schemas
from gateway.app import create_app
from gateway.core.commands import Commands
from gateway.core.intake import Intake
from gateway.core.rejections import Rejections
from gateway.hub import Hub, Subscriber, Transport
from gateway.settings import GatewaySettings
from gateway.state import GapTracker, Registry
from pigw.contract import ONLINE, Ack, AckStatus, Topics, encode_model
from tests.gateway.support import backlog, meta, state
from tests.support.sse import blocks as sse_events

T = Topics()
EVERY_TYPE = {
    "snapshot", "reading", "actuator", "status", "meta", "ack", "broker", "alert", "reset",
}  # fmt: skip


def snapshot_source(registry: Registry) -> Callable[[frozenset[str] | None], str]:
    """The runtime's snapshot (CONTRACT.md v3): the devices, and the active alerts."""
    firing = Alert("hot", "d1", "t", "firing", "warning", 31.0, 1.0, 61.0, 1, "alice")

    def source(devices: frozenset[str] | None) -> str:
        return json.dumps({"devices": registry.devices_doc(0.0, devices), "alerts": [firing.doc()]})

    return source


def fed_hub(*transports: Transport) -> tuple[Hub, list[Subscriber]]:
    """A hub that has carried every event type to a live and a foreign-epoch subscriber of each
    transport."""
    registry = Registry()
    hub = Hub(epoch="e", snapshot_source=snapshot_source(registry), max_events=64)

    async def publish(topic: str, payload: bytes) -> bool:
        raise AssertionError

    intake = Intake(
        topics=T, registry=registry, gaps=GapTracker(), hub=hub,
        commands=Commands(registry, T, publish), rejections=Rejections(logging.getLogger("t")),
    )  # fmt: skip
    subscribers = [hub.subscribe(transport) for transport in transports]
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.status("d1"), ONLINE, True)
    intake.handle(T.state("d1", "t"), state(1), True)
    intake.handle(T.state("d1", "relay1"), state(2, True, unit=None), False)
    intake.handle(T.backlog("d1"), backlog("t", [5, 4]), False)
    ack = Ack(
        cid="c", status=AckStatus.ERROR, value=False, ts="2026-11-24T06:00:00.000Z", error="x"
    )
    intake.handle(T.ack("d1", "relay1"), encode_model(ack), False)
    intake.broker(False)
    pending = Alert("quiet", "d1", None, "pending", "critical", None, 1.0, 1.0)
    hub.publish("alert", "d1", pending.doc())
    intake.handle(T.meta("d1"), b"", True)
    subscribers += [hub.subscribe(t, last_event_id="other-3") for t in transports]
    return hub, subscribers


def test_every_event_the_hub_sends_validates_against_the_documented_model() -> None:
    hub, subscribers = fed_hub(Transport.WS)
    messages = [json.loads(text) for sub in subscribers for text in hub.take_ws(sub)]
    assert {message["type"] for message in messages} == EVERY_TYPE
    for message in messages:
        parsed = schemas.StreamEvent.model_validate(message)
        assert parsed.model_dump(mode="json", exclude_unset=True) == message


def test_every_sse_event_validates_against_the_documented_sse_model() -> None:
    hub, subscribers = fed_hub(Transport.SSE)
    events = [event for sub in subscribers for event in sse_events(hub.take_sse(sub))]
    assert {event.get("event") for event in events} == EVERY_TYPE | {None}  # None: retry
    for event in events:
        parsed = schemas.SseEvent.model_validate(event)
        assert parsed.model_dump(exclude_unset=True) == {
            k: int(v) if k == "retry" else v for k, v in event.items()
        }
        if parsed.event is not None:
            # data holds what a WebSocket message of the same event holds under "data".
            assert parsed.data is not None
            message = {"id": parsed.id, "type": parsed.event, "data": json.loads(parsed.data)}
            schemas.StreamEvent.model_validate(message)


def test_the_openapi_document_describes_the_stream() -> None:
    document = create_app(GatewaySettings()).openapi()
    responses = document["paths"]["/api/events"]["get"]["responses"]
    assert responses["200"]["content"] == {
        "text/event-stream": {"schema": {"$ref": "#/components/schemas/SseEvent"}}
    }
    # The stream's refusals are JSON, not events.
    for status in ("401", "422", "503"):
        assert list(responses[status]["content"]) == ["application/json"]
    schemas_ = document["components"]["schemas"]
    for name in ("SseEvent", "StreamEvent", "ReadingEvent", "Device", "CommandAck", "Session"):
        assert name in schemas_
    data = schemas_["SseEvent"]["properties"]["data"]
    assert data["contentSchema"] == {"$ref": "#/components/schemas/StreamEvent/properties/data"}


def test_every_stream_event_on_the_wire_validates_against_the_sse_model() -> None:
    registry = Registry()
    hub = Hub(epoch="e", snapshot_source=lambda d: registry.snapshot_json(0.0, d), max_events=64)
    hub.publish_status("d1", True) if hasattr(hub, "publish_status") else None
