"""What a hostile web page cannot make a browser do to the gateway (issue 17, item 3), as one ASGI
wrapper around everything the gateway answers.

* **DNS rebinding.** A page on ``evil.example`` whose name is re-pointed at ``127.0.0.1`` is, to the
  browser, same-origin with the gateway; only ``Host`` still says ``evil.example``. In open mode (no
  tokens: every request an operator) a request whose ``Host`` is not a loopback name or address
  (``localhost``, ``127.0.0.0/8``, ``[::1]``, any port) gets **421 Misdirected Request**;
  ``--allowed-host`` adds names. With tokens, ``Host`` is checked only when ``--allowed-host`` is
  given (then: those names and loopback); a rebinding page has no token and no session cookie
  (SameSite=Strict, and the cookie belongs to the gateway's real name). A request without
  ``Host`` is not a browser's and passes. WebSocket handshakes are checked the same way.
* **Headers on every response**, errors, streams and WebSocket handshakes included:
  ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` (no framing: click-jacking of the
  dashboard's switches), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``.
  The CSP lets the dashboard load only its own scripts; the API documentation pages (``/docs``,
  ``/redoc``) load Swagger UI / ReDoc from their CDN with an inline start-up script, so they get
  only the framing and base/object rules (checked in Chromium: ``tests/browser``).

The wrapper only looks at ``http.response.start`` (and the WebSocket's accept and denial): a
stream's body does not pass through it (the server's ``send`` extension, :mod:`gateway.server`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.limits import Refused

#: The dashboard's policy: its own scripts, styles, images and connections (SSE, WebSocket) only.
#: Inline styles are allowed: the "not built" page and React's computed styles use them, and a
#: style cannot run code.
DASHBOARD_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: The API documentation pages (FastAPI's Swagger UI and ReDoc come from a CDN, started inline).
DOCS_CSP: Final = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
DOCS_PATHS: Final = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

_COMMON: Final = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
#: The same headers as raw HTTP/1.1 lines, for answers the server writes itself (414, 431, 408).
RAW_SECURITY_HEADERS: Final = b"".join(
    b"%s: %s\r\n" % header
    for header in (*_COMMON, (b"content-security-policy", DASHBOARD_CSP.encode()))
)
_MISDIRECTED: Final = (
    b'{"detail":"this gateway does not answer to that Host name (DNS rebinding?): reach it by '
    b'its own name, or start it with --allowed-host <name>"}'
)


def host_name(host: str) -> str:
    """The name part of a ``Host`` header: without the port, IPv6 brackets kept, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    """``localhost``, an address in ``127.0.0.0/8``, or ``[::1]``."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class WebSecurity:
    """ASGI wrapper: the ``Host`` check, then the security headers on whatever ``app`` answers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        check_host: bool,
        allowed_hosts: Iterable[str],
        refused: Refused,
    ) -> None:
        self.app = app
        self.check_host = check_host
        self.allowed = frozenset(host_name(h) for h in allowed_hosts)
        self.refused = refused

    def host_allowed(self, scope: Scope) -> bool:
        if not self.check_host:
            return True
        for name, value in scope["headers"]:
            if name == b"host":
                host = host_name(value.decode("latin-1"))
                return is_loopback_name(host) or host in self.allowed
        return True  # no Host: not a browser (HTTP/1.0 tools)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope["path"] in DOCS_PATHS else DASHBOARD_CSP).encode()
        if not self.host_allowed(scope):
            self.refused("host")
            await _misdirected(scope, send, csp)
            return

        async def secured_send(message: Message) -> None:
            if message["type"] in _STARTS:
                message["headers"] = _with_security(message.get("headers") or [], csp)
            await send(message)

        await self.app(scope, receive, secured_send)


_STARTS: Final = frozenset({"http.response.start", "websocket.http.response.start"})


def _with_security(headers: Iterable[tuple[bytes, bytes]], csp: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` plus each security header the response does not set itself."""
    out = list(headers)
    present = {name.lower() for name, _ in out}
    for name, value in (*_COMMON, (b"content-security-policy", csp)):
        if name not in present:
            out.append((name, value))
    return out


async def _misdirected(scope: Scope, send: Send, csp: bytes) -> None:
    headers = _with_security(
        [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_MISDIRECTED)).encode()),
        ],
        csp,
    )
    if scope["type"] == "websocket":
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 421, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": _MISDIRECTED})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": "Host not allowed"})
        return
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": _MISDIRECTED})
