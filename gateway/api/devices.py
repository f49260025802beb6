"""``GET /api/devices`` and ``GET /api/devices/{dev}`` (the history routes: :mod:`gateway.api.history`)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, ViewerDep

router = APIRouter(prefix="/api/devices", tags=["devices"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": schemas.Problem, "description": "unknown device or sensor"}
}


@router.get("", response_model=schemas.Devices)
async def list_devices(runtime: RuntimeDep, _: ViewerDep) -> JSONResponse:
    """Every device the gateway knows, sorted by id (the same JSON a ``snapshot`` carries)."""
    return JSONResponse({"devices": runtime.registry.devices_doc(time.time())})


@router.get("/{dev}", response_model=schemas.Device, responses=NOT_FOUND)
async def get_device(dev: str, runtime: RuntimeDep, _: ViewerDep) -> JSONResponse:
    state = runtime.registry.get(dev)
    if state is None:
        raise HTTPException(404, f"unknown device {dev!r}")
    return JSONResponse(runtime.registry.device_doc(state, time.time()))
