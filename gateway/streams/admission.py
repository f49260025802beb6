"""Stream admission: every check a new stream passes, written once for SSE (the FastAPI route and
the front router) and the WebSocket. Change how streams are admitted here and only here.

The checks, in order (the first that fails answers; ``docs/streams.md``):

1. WebSocket only: ``Origin`` is this gateway or a ``--cors-origin`` (cross-site WebSocket
   hijacking) — 403, counted as ``ws_origin``.
2. A valid token (:func:`gateway.auth.authenticate`) — 401.
3. Filters: at most :data:`MAX_DEVICE_FILTERS` ``device=`` ids the contract accepts, ``type=`` only
   device event names — 422.
4. ``Last-Event-ID`` (SSE: the header; WebSocket: ``?last_event_id=``) at most
   :data:`MAX_LAST_EVENT_ID` characters — 422. A well-formed but unknown id is not refused: the
   stream starts with ``reset`` + ``snapshot`` (``docs/events.md``).
5. A stream slot (``--max-streams``, and ``--max-streams-per-token`` for one token's streams;
   open mode has only the first) — 503 with ``Retry-After`` naming the cap, counted as
   ``max_streams`` / ``max_streams_per_token``; also 503 while the gateway shuts down.

What passes is an :class:`Admission`, which holds the slot until the stream releases it, and a
:class:`~gateway.hub.slots.StreamTicket` that knows whether the credential that opened the stream
is still good: the token's entry unchanged (:meth:`TokenStore.still_valid`) and, for a browser,
its session not ended. After every reload of the tokens file and every log-out, the housekeeping
tick ends the streams whose credential went (issue 17: revocation did not reach open streams).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from gateway.auth import CHALLENGE, UNAUTHORIZED, Principal, authenticate, presented_session
from gateway.hub import Hub, StreamSlots, Subscriber, Transport
from gateway.hub.event import MAX_EVENT_ID
from gateway.hub.slots import StreamTicket
from gateway.runtime import Runtime
from pigw.contract import is_valid_id
from pigw.contract.events import DEVICE_EVENTS

#: Filters are bounded like everything else: a stream names at most this many devices.
MAX_DEVICE_FILTERS: Final = 256
#: The hub's bound on an event id (``<epoch>-<n>``); anything longer is not one of ours.
MAX_LAST_EVENT_ID: Final = MAX_EVENT_ID


class Refused(Exception):
    """A stream not admitted: the HTTP status, the one-line reason, the headers to send."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers: Mapping[str, str] = headers or {}


@dataclass(frozen=True, slots=True)
class Admission:
    """An admitted stream's request. It holds one of ``slots``: the stream calls
    :meth:`release` exactly once, when it ends."""

    principal: Principal
    devices: frozenset[str] | None
    types: frozenset[str] | None
    last_event_id: str | None
    slots: StreamSlots
    ticket: StreamTicket

    def attach(self, sub: Subscriber, hub: Hub) -> None:
        """The stream subscribed as ``sub``: it can be revoked from now on."""
        self.slots.attach(self.ticket, sub, hub)

    def still_valid(self) -> bool:
        """The credential that opened the stream is still good (checked again for every
        WebSocket command)."""
        return self.ticket.valid()

    def release(self) -> None:
        self.slots.release(self.ticket)


def stream_filters(
    device: list[str] | None, type_: list[str] | None
) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Checked filters (:class:`Refused` 422 for an id or event type the contract does not know);
    ``None`` for no filter."""
    devices = frozenset(device) if device else None
    types = frozenset(type_) if type_ else None
    if devices is not None:
        if len(devices) > MAX_DEVICE_FILTERS:
            raise Refused(422, f"at most {MAX_DEVICE_FILTERS} device filters")
        bad = sorted(d for d in devices if not is_valid_id(d))
        if bad:
            raise Refused(422, f"not a device id: {bad[0]!r}")
    if types is not None and not types <= DEVICE_EVENTS:
        raise Refused(422, f"unknown event type; use {', '.join(sorted(DEVICE_EVENTS))}")
    return devices, types


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Browsers send ``Origin`` on every WebSocket; it must be this gateway itself (``Host``) or
    an allowed origin. Clients without ``Origin`` are not browsers and need a token like anybody
    else."""
    if origin is None:
        return True
    if origin.rstrip("/") in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    """The CORS headers of a stream's answer (as the app's ``CORSMiddleware`` sends them) for a
    request from ``origin``; none when the origin is not allowed."""
    if origin is None or origin.rstrip("/") not in allowed:
        return {}
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "vary": "Origin",
    }


def admit(connection: HTTPConnection, runtime: Runtime, transport: Transport) -> Admission:
    """Run the checks on a new stream's request and take its slot, or raise :class:`Refused`."""
    headers = connection.headers
    if transport is Transport.WS and not origin_allowed(
        headers.get("origin"), headers.get("host"), frozenset(runtime.settings.cors_origin)
    ):
        runtime.refusals.count("ws_origin")
        raise Refused(403, "origin not allowed")
    principal = authenticate(connection, runtime.tokens, runtime.sessions)
    if principal is None:
        raise Refused(401, UNAUTHORIZED, CHALLENGE)
    params = connection.query_params
    devices, types = stream_filters(params.getlist("device"), params.getlist("type"))
    if transport is Transport.SSE:
        last_event_id = headers.get("last-event-id")
    else:
        last_event_id = params.get("last_event_id")
    if last_event_id is not None and len(last_event_id) > MAX_LAST_EVENT_ID:
        raise Refused(422, "Last-Event-ID is too long")
    if runtime.hub.closing:
        raise Refused(503, "the gateway is shutting down", {"Retry-After": "5"})
    ticket = _ticket(connection, runtime, principal)
    full = runtime.slots.acquire(ticket)
    if full is not None:
        runtime.refusals.count(full)
        if full == "max_streams_per_token":
            detail = (
                f"this token has {runtime.slots.per_token} streams open "
                "(--max-streams-per-token); close one or try again later"
            )
        else:
            detail = "too many open streams (--max-streams); try again later"
        raise Refused(503, detail, {"Retry-After": "10"})
    return Admission(principal, devices, types, last_event_id, runtime.slots, ticket)


def _ticket(connection: HTTPConnection, runtime: Runtime, principal: Principal) -> StreamTicket:
    """The stream's budget key and how to re-check its credential: the token's entry, and for a
    browser (no ``Authorization``) its session too. Open mode: no key, never revoked."""
    tokens, sessions = runtime.tokens, runtime.sessions
    if tokens is None:
        return StreamTicket(None, lambda: True)
    session_id = None
    if connection.headers.get("authorization") is None:
        session_id = presented_session(connection)
    if session_id is None:
        return StreamTicket(principal.key, lambda: tokens.still_valid(principal))

    def valid() -> bool:
        return sessions.lookup(session_id) is not None and tokens.still_valid(principal)

    return StreamTicket(principal.key, valid)
