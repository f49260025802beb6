"""What a server hands a stream through the scope (``gateway/streams/hooks.py``), pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.streams.hooks import STREAM_EXTENSION, abortable, forget, server_stream


class _Full:
    """Everything an SSE stream may use (``ServerStream``)."""

    async def send(self, message: Any) -> None:
        return None

    def abort(self) -> None:
        return None

    def can_write(self) -> bool:
        return True

    def write_now(self, body: bytes) -> None:
        return None

    def on_lost(self, callback: Callable[[], None]) -> None:
        return None


class _AbortOnly:
    """What pigw's server offers a WebSocket."""

    def abort(self) -> None:
        return None


def scope(offer: object | None) -> dict[str, Any]:
    return {"type": "http", "extensions": {} if offer is None else {STREAM_EXTENSION: offer}}


def test_a_full_offer_is_a_server_stream_and_abortable() -> None:
    offer = _Full()
    assert server_stream(scope(offer)) is offer
    assert abortable(scope(offer)) is offer


def test_an_abort_only_offer_is_not_taken_for_a_server_stream() -> None:
    offer = _AbortOnly()
    assert server_stream(scope(offer)) is None  # the SSE stream then runs the portable way
    assert abortable(scope(offer)) is offer


def test_another_server_offers_nothing_and_forgetting_is_safe() -> None:
    for bare in (scope(None), {"type": "http"}, scope({"abort": lambda: None})):
        assert server_stream(bare) is None and abortable(bare) is None
        forget(bare)
    offered = scope(_Full())
    forget(offered)
    assert STREAM_EXTENSION not in offered["extensions"]
