"""Who is on a connection: the token it presents, or the browser session it carries.

A token comes in ``Authorization: Bearer <token>`` (scripts, other services); a browser presents
the session cookie that ``POST /api/session`` sets (``EventSource`` and the WebSocket cannot send
headers), which holds a random session id, never the token (:mod:`gateway.auth.sessions`, issue
17). Tokens are never read from the URL, so they never reach an access log. Used by the REST
dependencies (:mod:`gateway.api.deps`) and the stream admission (:mod:`gateway.streams.admission`)
alike, so both answer a missing or wrong token the same way.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import HTTPConnection

from gateway.auth.sessions import SessionStore
from gateway.auth.tokens import Principal, TokenRole, TokenStore

#: The session cookie over https: the ``__Host-`` prefix makes browsers insist on Secure, path
#: ``/`` and no Domain, so no other host (nor plain http) can set or shadow it.
SESSION_COOKIE_SECURE: Final = "__Host-pigw_session"
#: The session cookie over plain http (a ``__Host-`` cookie needs Secure, which http cannot send).
SESSION_COOKIE: Final = "pigw_session"
#: Who everybody is when the gateway runs without a tokens file.
OPEN_PRINCIPAL: Final = Principal(None, TokenRole.OPERATOR)
#: The one 401 text (REST, SSE and WebSocket alike).
UNAUTHORIZED: Final = (
    "a valid token is needed (Authorization: Bearer, or log in at POST /api/session)"
)
#: The header every 401 carries (RFC 6750 §3).
CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}


def session_cookie_name(connection: HTTPConnection) -> str:
    """The session cookie's name for this connection's scheme."""
    secure = connection.url.scheme in ("https", "wss")
    return SESSION_COOKIE_SECURE if secure else SESSION_COOKIE


def presented_session(connection: HTTPConnection) -> str | None:
    """The session id in the cookie, if any."""
    cookies = connection.cookies
    return cookies.get(SESSION_COOKIE_SECURE) or cookies.get(SESSION_COOKIE) or None


def authenticate(
    connection: HTTPConnection, tokens: TokenStore | None, sessions: SessionStore
) -> Principal | None:
    """Who the connection is, or ``None`` (missing or wrong token, unknown or ended session).
    Everybody is an operator when the gateway runs without a tokens file (``tokens`` ``None``)."""
    if tokens is None:
        return OPEN_PRINCIPAL
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None  # present but not a bearer token: counts as wrong, not as missing
        return tokens.lookup(value.strip())
    session_id = presented_session(connection)
    if session_id is None:
        return None
    principal = sessions.lookup(session_id)
    if principal is not None and not tokens.still_valid(principal):
        sessions.revoke(session_id)  # its token went (or changed role) since the last reload
        return None
    return principal
