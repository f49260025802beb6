"""``GET /metrics``: the app's own Prometheus registry (HTTP and domain metrics). Like every read
of device data it needs a viewer token when the gateway has a tokens file (Prometheus sends one
with ``authorization: {credentials: ...}``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.api.deps import RuntimeDep, ViewerDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep, _: ViewerDep) -> Response:
    return Response(generate_latest(runtime.metrics_registry), media_type=CONTENT_TYPE_LATEST)
