"""Who is on a connection: the token it presents, looked up in the tokens file.

A token comes in ``Authorization: Bearer <token>`` (scripts, other services) or in the session
cookie that ``POST /api/session`` sets (browsers: ``EventSource`` and the WebSocket cannot send
headers). Tokens are never read from the URL, so they never reach an access log. Used by the REST
dependencies (:mod:`gateway.api.deps`) and the stream admission (:mod:`gateway.streams.admission`)
alike, so both answer a missing or wrong token the same way.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import HTTPConnection

from gateway.auth.tokens import Principal, TokenRole, TokenStore

SESSION_COOKIE: Final = "pigw_session"
#: Who everybody is when the gateway runs without a tokens file.
OPEN_PRINCIPAL: Final = Principal(None, TokenRole.OPERATOR)
#: The one 401 text (REST, SSE and WebSocket alike).
UNAUTHORIZED: Final = (
    "a valid token is needed (Authorization: Bearer, or log in at POST /api/session)"
)
#: The header every 401 carries (RFC 6750 §3).
CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}


def presented_token(connection: HTTPConnection) -> str | None:
    """The bearer token, else the session cookie's, else ``None``."""
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""  # present but not a bearer token: counts as wrong, not as missing
    return connection.cookies.get(SESSION_COOKIE) or None


def authenticate(connection: HTTPConnection, tokens: TokenStore | None) -> Principal | None:
    """Who the connection is, or ``None`` (missing or wrong token). Everybody is an operator
    when the gateway runs without a tokens file (``tokens`` ``None``)."""
    if tokens is None:
        return OPEN_PRINCIPAL
    token = presented_token(connection)
    if not token:
        return None
    return tokens.lookup(token)
