"""Browser log-in: ``POST /api/session`` turns a token into a session whose random id goes into an
HttpOnly, SameSite=Strict cookie that ``EventSource`` and the WebSocket carry; ``DELETE
/api/session`` ends the session on the server and removes the cookie; ``GET`` says who the browser
is logged in as (so a dashboard knows whether to show its log-in form).

The cookie holds no token (issue 17): a session id bound to the token's entry
(:mod:`gateway.auth.sessions`), so logging out, or removing the token's line from the tokens file,
ends it on the server and the old cookie gets 401. Over https it is ``__Host-pigw_session`` with
Secure (the prefix ties it to this host, path ``/``); over plain http ``pigw_session`` without
Secure. HttpOnly keeps it from scripts, SameSite=Strict from other sites' requests (so no
cross-site request can send a command with it). "https" is what uvicorn sees: directly, or
through a proxy it trusts for ``X-Forwarded-Proto`` (docs/security.md).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, ViewerDep
from gateway.auth import presented_session, session_cookie_name
from gateway.auth.sessions import SESSION_MAX_AGE

router = APIRouter(prefix="/api/session", tags=["session"])


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
    previous = presented_session(request)
    if previous is not None:
        runtime.sessions.end(previous)  # logging in again replaces the old session
    response.set_cookie(
        session_cookie_name(request),
        runtime.sessions.create(principal),
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _doc(principal.name, principal.role.value, False)


@router.delete("", status_code=204)
async def log_out(request: Request, runtime: RuntimeDep) -> Response:
    session_id = presented_session(request)
    if session_id is not None:
        runtime.sessions.end(session_id)
    response = Response(status_code=204)
    response.delete_cookie(
        session_cookie_name(request),
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
