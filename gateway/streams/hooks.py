"""What pigw's server hands a stream through the ASGI scope, typed.

ASGI's only channel from a server to the app is the scope, so pigw's server
(``gateway/server.py``) puts one object under ``scope["extensions"][STREAM_EXTENSION]``: for an
HTTP request a :class:`ServerStream` (the hub's :class:`~gateway.hub.DirectWriter` plus what the
SSE stream itself needs), for a WebSocket an :class:`~gateway.hub.Abortable`. Under any other
server there is nothing there and the streams run the portable way (``docs/streams.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol, runtime_checkable

from starlette.types import Scope, Send

from gateway.hub import Abortable, DirectWriter

#: The scope extension's key.
STREAM_EXTENSION: Final = "pigw.stream"


@runtime_checkable
class ServerStream(DirectWriter, Protocol):
    """One HTTP request's connection, as pigw's server offers it to an SSE stream."""

    #: The server's own ``send``: body messages skip every middleware's ``send`` wrapper (those
    #: act only on ``http.response.start``, which goes through them as usual).
    send: Send

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once when the connection is lost (at once if it is lost already), so
        no task has to wait in ``receive()`` for ``http.disconnect``."""


@runtime_checkable
class _Abortable(Abortable, Protocol):
    pass


def server_stream(scope: Scope) -> ServerStream | None:
    """The server's offer for this HTTP request, if it made one."""
    offer = (scope.get("extensions") or {}).get(STREAM_EXTENSION)
    return offer if isinstance(offer, ServerStream) else None


def abortable(scope: Scope) -> Abortable | None:
    """The server's abort hook for this connection (WebSocket or HTTP), if it offers one."""
    offer = (scope.get("extensions") or {}).get(STREAM_EXTENSION)
    return offer if isinstance(offer, _Abortable) else None


def forget(scope: Scope) -> None:
    """Drop the offer once the request is done: it refers to the server's request cycle, which
    refers to the scope, and a reference cycle would keep every finished connection's memory
    until a full garbage collection (rare with the tuned collector; issue 8: 1,000 clients
    reconnecting for a minute grew the gateway from 57 to 175 MB)."""
    extensions = scope.get("extensions")
    if extensions:
        extensions.pop(STREAM_EXTENSION, None)
