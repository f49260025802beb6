"""``GET /api/events``: the live stream as Server-Sent Events (behaviour: ``docs/events.md``)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Header, HTTPException, Query

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, ViewerDep
from gateway.api.sse_response import EventStream, SseStream
from gateway.hub.events import DEVICE_EVENTS
from gateway.runtime import Runtime
from pigw.contract import is_valid_id

router = APIRouter(tags=["events"])

#: Filters are bounded like everything else: a stream names at most this many devices.
MAX_DEVICE_FILTERS: Final = 256

DeviceFilter = Annotated[
    list[str] | None,
    Query(description="only events of these devices (repeatable); broker/reset/snapshot always"),
]
TypeFilter = Annotated[
    list[str] | None,
    Query(
        description="only these device event types (repeatable): "
        + ", ".join(sorted(DEVICE_EVENTS))
    ),
]


def stream_filters(
    device: list[str] | None, type_: list[str] | None
) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Checked filters (422 for an id or event type the contract does not know)."""
    devices = frozenset(device) if device else None
    types = frozenset(type_) if type_ else None
    if devices is not None:
        if len(devices) > MAX_DEVICE_FILTERS:
            raise HTTPException(422, f"at most {MAX_DEVICE_FILTERS} device filters")
        bad = sorted(d for d in devices if not is_valid_id(d))
        if bad:
            raise HTTPException(422, f"not a device id: {bad[0]!r}")
    if types is not None and not types <= DEVICE_EVENTS:
        raise HTTPException(422, f"unknown event type; use {', '.join(sorted(DEVICE_EVENTS))}")
    return devices, types


def take_slot(runtime: Runtime) -> None:
    """Count the new stream against ``--max-streams`` (503 beyond, and while shutting down)."""
    if runtime.hub.closing:
        raise HTTPException(503, "the gateway is shutting down", headers={"Retry-After": "5"})
    if not runtime.slots.acquire():
        runtime.refuse("max_streams")
        raise HTTPException(
            503, "too many open streams; try again later", headers={"Retry-After": "10"}
        )


@router.get(
    "/api/events",
    status_code=200,
    response_class=EventStream,
    responses={
        200: {"model": schemas.SseEvent, "description": "the event stream (one per event)"},
        401: {"model": schemas.Problem},
        **schemas.unprocessable("a filter or Last-Event-ID the gateway does not accept"),
        503: {"model": schemas.Problem, "description": "too many streams, or shutting down"},
    },
)
async def events(
    runtime: RuntimeDep,
    _: ViewerDep,
    device: DeviceFilter = None,
    type: TypeFilter = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventStream:
    """``snapshot`` first (or, with a resumable ``Last-Event-ID``, exactly the missed events),
    then every live event: ``reading``, ``status``, ``meta``, ``actuator``, ``ack``, ``broker``."""
    devices, types = stream_filters(device, type)
    take_slot(runtime)
    return EventStream(sse_stream(runtime, devices, types, last_event_id))


def sse_stream(
    runtime: Runtime,
    devices: frozenset[str] | None,
    types: frozenset[str] | None,
    last_event_id: str | None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> SseStream:
    """The stream of one checked request (the route's and the fast path's)."""
    return SseStream(
        runtime.hub,
        runtime.readiness,
        runtime.slots,
        devices=devices,
        types=types,
        last_event_id=last_event_id,
        snapshot_wait=runtime.settings.snapshot_wait,
        extra_headers=extra_headers,
    )
