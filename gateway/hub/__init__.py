"""The event hub: one bounded ring of encoded events that every live stream reads with a cursor.

Pure: no FastAPI, no aiomqtt, no server. :mod:`gateway.hub.event` is the event object,
:mod:`gateway.hub.encoding` its wire encoding (SSE and the WebSocket JSON), :mod:`gateway.hub.ring`
the resume buffer, :mod:`gateway.hub.subscriber` one stream's cursor and filter,
:mod:`gateway.hub.hub` the fan-out, :mod:`gateway.hub.slots` the ``--max-streams`` budget and
:mod:`gateway.hub.writer` what the hub needs from a server (a Protocol the server implements).
``docs/events.md`` tells how they behave together (wake-ups, batching, slow clients, resume),
``docs/streams.md`` how a stream is admitted and run.
"""

from gateway.hub.event import Event, EventId, parse_event_id
from gateway.hub.hub import Hub, HubStats
from gateway.hub.slots import StreamSlots
from gateway.hub.subscriber import Subscriber, Transport
from gateway.hub.writer import Abortable, DirectWriter

__all__ = [
    "Abortable",
    "DirectWriter",
    "Event",
    "EventId",
    "Hub",
    "HubStats",
    "StreamSlots",
    "Subscriber",
    "Transport",
    "parse_event_id",
]
