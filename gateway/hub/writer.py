"""What the hub needs from the server a stream runs on: the hub owns these interfaces, servers
implement them (pigw's own in ``gateway/server.py``; under any other server a stream has neither
and the hub falls back to waking the stream's task or cancelling it).

``docs/streams.md`` tells who calls what, and when.
"""

from __future__ import annotations

from typing import Protocol


class Abortable(Protocol):
    """A stream's connection that can be dropped at once."""

    def abort(self) -> None:
        """Drop the connection and its unsent data now (a plain close would wait to flush data a
        client that stopped reading never reads): the stream's blocked write returns at once."""


class DirectWriter(Abortable, Protocol):
    """A connection the hub may write an SSE batch to itself, from its wake-up, while the
    stream's task stays parked (no task switch per stream per batch: ``docs/performance.md``)."""

    def can_write(self) -> bool:
        """May :meth:`write_now` be called now? Not before the response head went out, not once
        the client is gone or the response is complete, not while the transport is above its
        high-water mark (then the stream's task writes, with the server's flow control)."""

    def write_now(self, body: bytes) -> None:
        """Write ``body`` (one complete piece of the response body) without waiting."""
