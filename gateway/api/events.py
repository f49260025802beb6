"""``GET /api/events``: the live stream as Server-Sent Events (behaviour: ``docs/events.md``).

Route only: admission is :mod:`gateway.streams.admission`, the stream :mod:`gateway.streams.sse`.
Under pigw's server the front router answers this path before FastAPI
(:mod:`gateway.streams.front`); this route documents it in OpenAPI and serves other servers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from starlette.requests import HTTPConnection

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, get_runtime
from gateway.hub import Transport
from gateway.streams.admission import MAX_LAST_EVENT_ID, Admission, Refused, admit
from gateway.streams.sse import EventStream, SseStream
from pigw.contract.events import DEVICE_EVENTS

router = APIRouter(tags=["events"])

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


def admitted(connection: HTTPConnection) -> Admission:
    """The stream admission as a dependency. It runs before FastAPI validates the parameters
    below, so its checks answer first (a missing token is a 401 whatever the filters say)."""
    try:
        return admit(connection, get_runtime(connection), Transport.SSE)
    except Refused as refused:
        raise HTTPException(refused.status, refused.detail, dict(refused.headers)) from refused


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
    admission: Annotated[Admission, Depends(admitted)],
    # Declared for OpenAPI; the admission has read and checked them already.
    device: DeviceFilter = None,
    type: TypeFilter = None,
    last_event_id: Annotated[str | None, Header(max_length=MAX_LAST_EVENT_ID)] = None,
) -> EventStream:
    """``snapshot`` first (or, with a resumable ``Last-Event-ID``, exactly the missed events),
    then every live event: ``reading``, ``status``, ``meta``, ``actuator``, ``ack``, ``broker``."""
    return EventStream(SseStream.of(runtime, admission))
