"""``create_app(settings)``: the FastAPI application. Nothing happens at import time; the
lifespan builds the runtime (:mod:`gateway.runtime`), starts its tasks, and on the way out ends
every stream and awaits every task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_fastapi_instrumentator import Instrumentator

from gateway.api import commands, dashboard, devices, events, health, metrics, session, ws
from gateway.api.limits import RequestLimits
from gateway.metrics import new_registry
from gateway.runtime import build_runtime
from gateway.settings import GatewaySettings
from pigw import __version__


def create_app(settings: GatewaySettings) -> FastAPI:
    metrics_registry = new_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, metrics_registry)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="pigw gateway",
        version=__version__,
        summary="MQTT device state as REST, a resumable live stream (SSE / WebSocket) and commands",
        lifespan=lifespan,
    )
    for router in (
        devices.router,
        commands.router,
        events.router,
        ws.router,
        session.router,
        health.router,
        metrics.router,
    ):
        app.include_router(router)
    Instrumentator(
        registry=metrics_registry,
        should_exclude_streaming_duration=True,
        excluded_handlers=["/metrics"],
    ).instrument(app)
    if settings.cors_origin:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin,
            allow_credentials=True,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )

    def refused(reason: str) -> None:
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            runtime.refuse(reason)

    app.add_middleware(
        RequestLimits,
        max_body=settings.max_body_bytes,
        max_url=settings.max_url_bytes,
        max_headers=settings.max_header_bytes,
        refused=refused,
    )
    dashboard.install_dashboard(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the stream's schema a plain reference: FastAPI marks the body of a
    non-JSON response ``"type": "string"`` beside the model's ``$ref``, which type generators read
    as ``string & StreamEvent``."""
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)
        events = document["paths"]["/api/events"]["get"]["responses"]["200"]["content"]
        events["text/event-stream"]["schema"].pop("type", None)
    return app.openapi_schema  # type: ignore[return-value]
