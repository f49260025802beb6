"""The event hub: one bounded ring of encoded events that every live stream reads with a cursor.

Pure: no FastAPI, no aiomqtt, no sockets. :mod:`gateway.hub.wire` is the wire encoding (SSE and the
WebSocket JSON), :mod:`gateway.hub.ring` the resume buffer, :mod:`gateway.hub.subscriber` one
stream's cursor and filter, :mod:`gateway.hub.hub` the fan-out. ``docs/events.md`` tells how they
behave together (wake-ups, batching, slow clients, resume).
"""

from gateway.hub.events import Event, EventId, parse_event_id
from gateway.hub.hub import Hub, HubStats, Resume
from gateway.hub.subscriber import Subscriber, Transport

__all__ = [
    "Event",
    "EventId",
    "Hub",
    "HubStats",
    "Resume",
    "Subscriber",
    "Transport",
    "parse_event_id",
]
