"""``POST /api/devices/{dev}/actuators/{act}``: send a command and answer with its ack."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from gateway.api import schemas
from gateway.api.deps import OPERATOR_NEEDED, RuntimeDep, ViewerDep
from gateway.auth import TokenRole
from gateway.core.commands import CommandError

router = APIRouter(prefix="/api/devices", tags=["commands"])


def _problem(description: str) -> dict[str, object]:
    return {"model": schemas.Problem, "description": description}


@router.post(
    "/{dev}/actuators/{act}",
    response_model=schemas.CommandAck,
    responses={
        403: _problem("the token lacks the operator role"),
        404: _problem("unknown device or actuator"),
        409: _problem("the device is offline"),
        **schemas.UNREADABLE_BODY,
        **schemas.unprocessable("a body or value the actuator cannot take"),
        429: _problem("too many commands from this token (see Retry-After)"),
        503: _problem("the gateway is not connected to the broker"),
        504: _problem("no ack within the command timeout"),
    },
)
async def command(
    dev: str,
    act: str,
    body: schemas.CommandRequest,
    runtime: RuntimeDep,
    principal: ViewerDep,
) -> JSONResponse:
    """Publish ``pigw/<dev>/<act>/set`` with a fresh ``cid`` and wait for the matching ack; 200 with
    the ack whatever its status (``ok``, ``error``, ``rejected``, ``expired``). Every outcome,
    refusals included, goes into the audit log (``GET /api/audit``)."""
    # The role is checked here rather than by a dependency, so that a refused command is audited.
    who = principal.name or "open"
    if not principal.role.allows(TokenRole.OPERATOR):
        runtime.commands.refused(
            dev, act, body.value, principal=who, via="rest", why="403: needs the operator role"
        )
        raise HTTPException(403, OPERATOR_NEEDED)
    wait = runtime.limiter.allow(principal.key)
    if wait > 0:
        runtime.refusals.count("rate_limit")
        runtime.commands.refused(
            dev, act, body.value, principal=who, via="rest", why="429: command rate limit"
        )
        raise HTTPException(
            429, "command rate limit reached", headers={"Retry-After": str(math.ceil(wait))}
        )
    try:
        ack = await runtime.commands.send(dev, act, body.value, principal=who, via="rest")
    except CommandError as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    return JSONResponse(ack)
