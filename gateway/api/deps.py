"""Typed dependencies: the runtime the lifespan built, and who is asking (401 versus 403).

A token comes in ``Authorization: Bearer <token>`` (scripts, other services) or in the session
cookie that ``POST /api/session`` sets (browsers: ``EventSource`` and the WebSocket cannot send
headers). Tokens are never read from the URL, so they never reach an access log.
"""

from __future__ import annotations

from typing import Annotated, Final, cast

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from gateway.auth import Principal, Role
from gateway.runtime import Runtime

SESSION_COOKIE: Final = "pigw_session"
OPEN_PRINCIPAL: Final = Principal(None, Role.OPERATOR)


def get_runtime(connection: HTTPConnection) -> Runtime:
    return cast(Runtime, connection.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def presented_token(connection: HTTPConnection) -> str | None:
    """The bearer token, else the session cookie's, else ``None``."""
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""  # present but not a bearer token: counts as wrong, not as missing
    return connection.cookies.get(SESSION_COOKIE) or None


def authenticate(connection: HTTPConnection, runtime: Runtime) -> Principal | None:
    """Who the connection is, or ``None`` (missing or wrong token). Everybody is an operator
    when the gateway runs without a tokens file."""
    if runtime.tokens is None:
        return OPEN_PRINCIPAL
    token = presented_token(connection)
    if not token:
        return None
    return runtime.tokens.lookup(token)


def _unauthorized() -> HTTPException:
    return HTTPException(
        401,
        "a valid token is needed (Authorization: Bearer, or log in at POST /api/session)",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_viewer(connection: HTTPConnection, runtime: RuntimeDep) -> Principal:
    principal = authenticate(connection, runtime)
    if principal is None:
        raise _unauthorized()
    return principal


def require_operator(connection: HTTPConnection, runtime: RuntimeDep) -> Principal:
    principal = require_viewer(connection, runtime)
    if not principal.role.allows(Role.OPERATOR):
        raise HTTPException(403, "this needs a token with the operator role")
    return principal


ViewerDep = Annotated[Principal, Depends(require_viewer)]
OperatorDep = Annotated[Principal, Depends(require_operator)]
