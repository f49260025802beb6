"""The documented models (OpenAPI, and so the dashboard's generated types) match what the gateway
really sends."""

from __future__ import annotations

import json
import logging

from gateway.api import schemas
from gateway.app import create_app
from gateway.commands import Commands
from gateway.hub import Hub, Transport
from gateway.intake import Intake
from gateway.rejections import Rejections
from gateway.settings import GatewaySettings
from gateway.state import GapTracker, Registry
from pigw.contract import Ack, AckStatus, Topics, encode_model
from tests.gateway.support import backlog, meta, state

T = Topics()


def test_every_event_the_hub_sends_validates_against_the_documented_model() -> None:
    registry = Registry()
    hub = Hub(epoch="e", snapshot_source=lambda d: registry.snapshot_json(0.0, d), max_events=64)

    async def publish(topic: str, payload: bytes) -> None:
        raise AssertionError

    intake = Intake(
        topics=T, registry=registry, gaps=GapTracker(), hub=hub,
        commands=Commands(registry, T, publish), rejections=Rejections(logging.getLogger("t")),
    )  # fmt: skip
    live, _ = hub.subscribe(Transport.WS)
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.status("d1"), b"online", True)
    intake.handle(T.state("d1", "t"), state(1), True)
    intake.handle(T.state("d1", "relay1"), state(2, True, unit=None), False)
    intake.handle(T.backlog("d1"), backlog("t", [5, 4]), False)
    ack = Ack(
        cid="c", status=AckStatus.ERROR, value=False, ts="2026-11-24T06:00:00.000Z", error="x"
    )
    intake.handle(T.ack("d1", "relay1"), encode_model(ack), False)
    intake.broker(False)
    intake.handle(T.meta("d1"), b"", True)
    foreign, _ = hub.subscribe(Transport.WS, last_event_id="other-3")
    messages = [json.loads(text) for text in hub.take_ws(live) + hub.take_ws(foreign)]
    types = {message["type"] for message in messages}
    assert types == {"snapshot", "reading", "actuator", "status", "meta", "ack", "broker", "reset"}
    for message in messages:
        parsed = schemas.StreamEvent.model_validate(message)
        assert parsed.model_dump(mode="json", exclude_unset=True) == message


def test_the_openapi_document_describes_the_stream() -> None:
    document = create_app(GatewaySettings()).openapi()
    stream = document["paths"]["/api/events"]["get"]["responses"]["200"]["content"]
    assert stream == {"text/event-stream": {"schema": {"$ref": "#/components/schemas/StreamEvent"}}}
    for name in ("StreamEvent", "ReadingEvent", "Device", "CommandAck", "Session"):
        assert name in document["components"]["schemas"]
