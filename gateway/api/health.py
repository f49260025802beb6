"""``/healthz`` (the process answers) and ``/readyz`` (broker connected, retained state loaded).
Both are open: probes carry no token and learn nothing but these booleans."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.api import schemas
from gateway.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=schemas.Health)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=schemas.Readiness,
    responses={503: {"model": schemas.Readiness, "description": "not ready"}},
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    readiness = runtime.readiness
    body = {
        "ready": readiness.ready,
        "broker_connected": readiness.connected,
        "retained_loaded": readiness.loaded,
    }
    return JSONResponse(body, status_code=200 if readiness.ready else 503)
