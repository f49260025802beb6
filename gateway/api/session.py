"""Browser log-in: ``POST /api/session`` turns a token into an HttpOnly, SameSite=Strict cookie
that ``EventSource`` and the WebSocket carry; ``DELETE /api/session`` removes it; ``GET`` says who
the browser is logged in as (so a dashboard knows whether to show its log-in form).

The cookie holds the token itself: sessions survive a gateway restart, and deleting the token's
line in the tokens file revokes every browser that uses it. HttpOnly keeps it from scripts,
SameSite=Strict from other sites' requests (so no cross-site request can send a command with it),
and it is marked Secure whenever the request came over HTTPS (directly or through a proxy that
uvicorn trusts for ``X-Forwarded-Proto``).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, ViewerDep
from gateway.auth import SESSION_COOKIE

router = APIRouter(prefix="/api/session", tags=["session"])

MAX_AGE: Final = 30 * 24 * 3600


def _doc(name: str | None, role: str, open_access: bool) -> dict[str, object]:
    return {"name": name, "role": role, "auth": "open" if open_access else "token"}


@router.post(
    "",
    response_model=schemas.Session,
    responses={
        **schemas.UNREADABLE_BODY,
        401: {"model": schemas.Problem, "description": "unknown token"},
    },
)
async def log_in(
    body: schemas.SessionRequest, request: Request, response: Response, runtime: RuntimeDep
) -> dict[str, object]:
    if runtime.tokens is None:
        return _doc(None, "operator", True)
    principal = runtime.tokens.lookup(body.token)
    if principal is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    response.set_cookie(
        SESSION_COOKIE,
        body.token,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _doc(principal.name, principal.role.value, False)


@router.delete("", status_code=204)
async def log_out(request: Request) -> Response:
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "",
    response_model=schemas.Session,
    responses={401: {"model": schemas.Problem, "description": "not logged in"}},
)
async def who_am_i(principal: ViewerDep, runtime: RuntimeDep) -> dict[str, object]:
    return _doc(principal.name, principal.role.value, runtime.tokens is None)
