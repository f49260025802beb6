"""Typed dependencies: the runtime the lifespan built, and who is asking (401 versus 403).

Who a connection is comes from :mod:`gateway.auth.connection` (shared with the stream admission).
"""

from __future__ import annotations

from typing import Annotated, Final, cast

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from gateway.auth import CHALLENGE, UNAUTHORIZED, Principal, TokenRole, authenticate
from gateway.runtime import Runtime

OPERATOR_NEEDED: Final = "this needs a token with the operator role"


def get_runtime(connection: HTTPConnection) -> Runtime:
    return cast(Runtime, connection.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def require_viewer(connection: HTTPConnection, runtime: RuntimeDep) -> Principal:
    principal = authenticate(connection, runtime.tokens, runtime.sessions)
    if principal is None:
        raise HTTPException(401, UNAUTHORIZED, headers=CHALLENGE)
    return principal


def require_operator(connection: HTTPConnection, runtime: RuntimeDep) -> Principal:
    principal = require_viewer(connection, runtime)
    if not principal.role.allows(TokenRole.OPERATOR):
        raise HTTPException(403, OPERATOR_NEEDED)
    return principal


ViewerDep = Annotated[Principal, Depends(require_viewer)]
OperatorDep = Annotated[Principal, Depends(require_operator)]
