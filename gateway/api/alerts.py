"""``GET /api/alerts`` (viewer) and acknowledging a firing alert (operator), CONTRACT.md v3."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from gateway.alerts.alert import AlertKey
from gateway.alerts.engine import AlertNotFiring, AlertNotFound
from gateway.api import schemas
from gateway.api.deps import OperatorDep, RuntimeDep, ViewerDep
from gateway.auth import Principal
from gateway.runtime import Runtime

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

ACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": schemas.Problem, "description": "the token lacks the operator role"},
    404: {"model": schemas.Problem, "description": "no such alert"},
    409: {"model": schemas.Problem, "description": "the alert is not firing"},
}


@router.get("", response_model=schemas.Alerts)
async def list_alerts(
    runtime: RuntimeDep,
    _: ViewerDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="recent transitions at most")] = 100,
) -> JSONResponse:
    """The alerts now pending or firing, and the recent notified transitions (newest first)."""
    alerting = runtime.alerting
    return JSONResponse(
        {"active": alerting.active_docs(), "recent": await alerting.recent_docs(limit)}
    )


@router.post("/{rule}/{device}/ack", response_model=schemas.AlertEvent, responses=ACK_RESPONSES)
async def acknowledge_device_alert(
    rule: str, device: str, runtime: RuntimeDep, principal: OperatorDep
) -> JSONResponse:
    """Acknowledge a firing device alert (``offline``): it stays firing, ``acknowledged_by`` is
    set, nobody is notified."""
    return await _acknowledge(runtime, AlertKey(rule, device, None), principal)


@router.post(
    "/{rule}/{device}/{point}/ack", response_model=schemas.AlertEvent, responses=ACK_RESPONSES
)
async def acknowledge_point_alert(
    rule: str, device: str, point: str, runtime: RuntimeDep, principal: OperatorDep
) -> JSONResponse:
    """Acknowledge a firing alert of a sensor or actuator."""
    return await _acknowledge(runtime, AlertKey(rule, device, point), principal)


async def _acknowledge(runtime: Runtime, key: AlertKey, principal: Principal) -> JSONResponse:
    try:
        alert = await runtime.alerting.acknowledge(key, principal.name or "open")
    except AlertNotFound as exc:
        raise HTTPException(404, f"no alert {key.label()!r}") from exc
    except AlertNotFiring as exc:
        raise HTTPException(409, str(exc)) from exc
    return JSONResponse(alert.doc())
