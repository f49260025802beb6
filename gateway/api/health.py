"""``/healthz`` (the process answers) and ``/readyz`` (broker connected, retained state loaded;
the recorder's state beside). Both are open: probes carry no token and learn nothing but these
booleans and the recorder's counters (the store's URL without its password)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.api import schemas
from gateway.api.deps import RuntimeDep

router = APIRouter(tags=["health"])

RECORDER_OFF = {"enabled": False, "store": "none", "ok": True}


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
    recorder = runtime.recorder
    body = {
        "ready": readiness.ready,
        "broker_connected": readiness.connected,
        "retained_loaded": readiness.loaded,
        # Shown, never a reason to be unready: the live stream does not depend on the store.
        "recorder": recorder.status() if recorder is not None else RECORDER_OFF,
    }
    return JSONResponse(body, status_code=200 if readiness.ready else 503)
