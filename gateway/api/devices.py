"""``GET /api/devices``, ``GET /api/devices/{dev}`` and a sensor's recent history."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from gateway.api import schemas
from gateway.api.deps import RuntimeDep, ViewerDep
from pigw.contract import ContractError, format_ts, parse_deadline

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


@router.get(
    "/{dev}/sensors/{sensor}/history",
    response_model=schemas.History,
    responses={
        **NOT_FOUND,
        **schemas.unprocessable("a since or limit the gateway does not accept"),
    },
)
async def sensor_history(
    dev: str,
    sensor: str,
    runtime: RuntimeDep,
    _: ViewerDep,
    since: Annotated[
        str | None, Query(max_length=40, description="ISO-8601 time; only readings at or after it")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="the most recent N")] = 100,
) -> JSONResponse:
    """The ``limit`` most recent readings since ``since``, oldest first (at most the
    ``--history-size`` the gateway keeps per sensor)."""
    state = runtime.registry.get(dev)
    if state is None:
        raise HTTPException(404, f"unknown device {dev!r}")
    history = state.histories.get(sensor)
    declared = state.meta is not None and sensor in state.meta.sensors
    if history is None and not declared:
        raise HTTPException(404, f"device {dev!r} has no sensor {sensor!r}")
    since_ts = None
    if since is not None:
        try:
            since_ts = format_ts(parse_deadline(since))
        except ContractError as exc:
            raise HTTPException(422, f"since: {exc.args[0]}") from exc
    readings = history.query(since_ts, limit) if history is not None else []
    return JSONResponse(
        {
            "device": dev,
            "sensor": sensor,
            "readings": [{"value": r.value, "ts": r.ts, "seq": r.seq} for r in readings],
        }
    )
