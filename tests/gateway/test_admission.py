"""Stream admission (``gateway/streams/admission.py``), pure: a scope, a tokens file, no server.

The one place every SSE and WebSocket stream is checked; these tests pin the order of the checks
and that a refusal takes no slot.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.requests import HTTPConnection

from gateway.auth import SessionStore, TokenStore, create_token
from gateway.core.refusals import Refusals
from gateway.hub import StreamSlots, Transport
from gateway.streams.admission import (
    MAX_DEVICE_FILTERS,
    Refused,
    admit,
    cors_headers,
    origin_allowed,
)


def connection(
    headers: dict[str, str] | None = None, query: list[tuple[str, str]] | None = None
) -> HTTPConnection:
    scope: dict[str, Any] = {
        "type": "http",
        "path": "/api/events",
        "query_string": urlencode(query or []).encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    return HTTPConnection(scope)


def runtime(
    *, tokens: TokenStore | None = None, slots: int = 2, cors: list[str] | None = None
) -> Any:
    """The parts of the runtime admission reads, and nothing else."""
    return SimpleNamespace(
        settings=SimpleNamespace(cors_origin=cors or []),
        tokens=tokens,
        sessions=SessionStore(limit=10, max_age=60),
        refusals=Refusals(),
        hub=SimpleNamespace(closing=False),
        slots=StreamSlots(slots),
    )


@pytest.fixture
def tokens(tmp_path: Path) -> tuple[TokenStore, str]:
    path = tmp_path / "tokens"
    token = create_token(path, "dash", "viewer")
    return TokenStore(path), token


def refusal(conn: HTTPConnection, rt: Any, transport: Transport = Transport.SSE) -> Refused:
    with pytest.raises(Refused) as caught:
        admit(conn, rt, transport)
    return caught.value


def test_an_admitted_stream_holds_a_slot_until_it_releases_it() -> None:
    rt = runtime(slots=1)
    admission = admit(connection(query=[("device", "d1"), ("type", "reading")]), rt, Transport.SSE)
    assert admission.devices == {"d1"} and admission.types == {"reading"}
    assert rt.slots.used == 1
    assert refusal(connection(), rt).status == 503
    assert rt.refusals.counts == {"max_streams": 1}
    admission.release()
    assert rt.slots.used == 0


def test_the_token_is_checked_before_the_filters_and_a_refusal_takes_no_slot(
    tokens: tuple[TokenStore, str],
) -> None:
    store, token = tokens
    rt = runtime(tokens=store)
    bad_filter = [("type", "nonsense")]
    refused = refusal(connection(query=bad_filter), rt)
    assert refused.status == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    authorised = connection({"Authorization": f"Bearer {token}"}, bad_filter)
    assert refusal(authorised, rt).status == 422
    assert rt.slots.used == 0
    admission = admit(connection({"Authorization": f"Bearer {token}"}), rt, Transport.SSE)
    assert admission.principal.name == "dash"


@pytest.mark.parametrize(
    "query",
    [
        [("device", "not a device id")],
        [("type", "snapshot")],  # not a device event: snapshots reach every stream anyway
        [("device", f"d{i}") for i in range(MAX_DEVICE_FILTERS + 1)],
    ],
)
def test_filters_the_contract_does_not_know_are_refused(query: list[tuple[str, str]]) -> None:
    assert refusal(connection(query=query), runtime()).status == 422


def test_the_last_event_id_comes_from_the_header_for_sse_and_the_query_for_websockets() -> None:
    rt = runtime()
    sse = admit(connection({"Last-Event-ID": "e-5"}, [("last_event_id", "x-1")]), rt, Transport.SSE)
    ws = admit(connection({"Last-Event-ID": "e-5"}, [("last_event_id", "x-1")]), rt, Transport.WS)
    assert (sse.last_event_id, ws.last_event_id) == ("e-5", "x-1")
    too_long = "e-" + "1" * 63
    assert refusal(connection({"Last-Event-ID": too_long}), rt).status == 422
    assert refusal(connection(query=[("last_event_id", too_long)]), rt, Transport.WS).status == 422


def test_a_websocket_from_a_foreign_origin_is_refused_and_counted_before_the_token() -> None:
    rt = runtime(cors=["https://ok.example"])
    foreign = connection({"Origin": "https://evil.example", "Host": "gw:8000"})
    refused = refusal(foreign, rt, Transport.WS)
    assert refused.status == 403 and rt.refusals.counts == {"ws_origin": 1}
    # The same request as SSE is not refused: SSE answers carry CORS headers instead.
    assert admit(foreign, rt, Transport.SSE).last_event_id is None


def test_no_stream_is_admitted_while_the_gateway_shuts_down() -> None:
    rt = runtime()
    rt.hub.closing = True
    refused = refusal(connection(), rt)
    assert refused.status == 503 and refused.headers["Retry-After"] == "5"
    assert rt.slots.used == 0 and rt.refusals.counts == {}


def test_origin_rules() -> None:
    allowed = frozenset({"https://ok.example"})
    assert origin_allowed(None, "gw", allowed)  # not a browser
    assert origin_allowed("https://ok.example/", "gw", allowed)
    assert origin_allowed("http://GW:8000", "gw:8000", allowed)  # the gateway itself
    assert not origin_allowed("https://evil.example", "gw", allowed)
    assert not origin_allowed("http://gw", None, allowed)
    assert cors_headers("https://ok.example", allowed)["access-control-allow-origin"] == (
        "https://ok.example"
    )
    assert cors_headers("https://evil.example", allowed) == {}
    assert cors_headers(None, allowed) == {}
