"""``create_app(settings)``: the FastAPI application. Nothing happens at import time; the
lifespan builds the runtime (:mod:`gateway.runtime`), starts its tasks, and on the way out ends
every stream and awaits every task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.constants import REF_TEMPLATE
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gateway.alerts.metrics import AlertsCollector
from gateway.api import (
    alerts,
    api_docs,
    commands,
    dashboard,
    devices,
    events,
    health,
    history,
    metrics,
    schemas,
    session,
    ws,
)
from gateway.api.limits import RequestLimits
from gateway.api.web_security import WebSecurity
from gateway.metrics import DomainCollector, new_registry
from gateway.runtime import Runtime, build_runtime, running
from gateway.settings import GatewaySettings
from pigw import __version__


def create_app(settings: GatewaySettings) -> FastAPI:
    metrics_registry = new_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, metrics_registry)
        collectors = (_domain_collector(runtime), AlertsCollector(runtime.alerting))
        for collector in collectors:
            metrics_registry.register(collector)
        app.state.runtime = runtime
        try:
            async with running(runtime):
                yield
        finally:
            for collector in collectors:
                metrics_registry.unregister(collector)

    app = FastAPI(
        title="pigw gateway",
        version=__version__,
        summary="MQTT device state as REST, a resumable live stream (SSE / WebSocket) and commands",
        lifespan=lifespan,
        docs_url=None,  # served from local files instead (gateway/api/api_docs.py)
    )
    for router in (
        devices.router,
        history.router,
        commands.router,
        alerts.router,
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
            runtime.refusals.count(reason)

    app.add_middleware(
        RequestLimits,
        max_body=settings.max_body_bytes,
        max_url=settings.max_url_bytes,
        max_headers=settings.max_header_bytes,
        refused=refused,
    )
    # Outermost: every answer, a refusal by the limits included, carries the security headers.
    app.add_middleware(
        WebSecurity,
        check_host=settings.open_access or bool(settings.allowed_host),
        allowed_hosts=settings.allowed_host,
        refused=refused,
    )
    app.add_exception_handler(405, _method_not_allowed)
    dashboard.install_dashboard(app)
    api_docs.install_api_docs(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _domain_collector(runtime: Runtime) -> DomainCollector:
    return DomainCollector(
        intake=runtime.intake,
        gaps=runtime.gaps,
        rejections=runtime.rejections,
        registry=runtime.registry,
        housekeeping=runtime.housekeeping,
        hub=runtime.hub,
        readiness=runtime.readiness,
        commands=runtime.commands,
        refusals=runtime.refusals,
        recorder=runtime.recorder,
        audit=runtime.audit,
        sessions=runtime.sessions,
        slots=runtime.slots,
        tokens=runtime.tokens,
        discovery=runtime.discovery,
    )


_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """405 with every method the path takes in ``Allow``: Starlette names only those of the first
    route that matched the path, and ``/api/session`` is three routes (GET, POST, DELETE)."""
    assert isinstance(exc, StarletteHTTPException)
    routes = request.app.router.routes
    methods = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    headers = dict(exc.headers or {})
    if methods:
        headers["Allow"] = ", ".join(methods)
    return await http_exception_handler(
        request, StarletteHTTPException(exc.status_code, exc.detail, headers)
    )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with two things added for the event stream.

    - Its body schema is a plain reference: FastAPI marks a non-JSON response's body ``"type":
      "string"`` beside the model's ``$ref``, which type generators read as ``string & SseEvent``.
      Its refusals (401, 422, 503) are JSON, which FastAPI would document as the stream's type.
    - ``StreamEvent`` (the WebSocket's message, whose ``data`` is what an SSE event's ``data``
      holds) and the event models under it are in the components, although no HTTP route returns
      them: the dashboard's generated types read them, and ``SseEvent.data`` points at them.
    """
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)
        responses = document["paths"]["/api/events"]["get"]["responses"]
        responses["200"]["content"]["text/event-stream"]["schema"].pop("type", None)
        for status, response in responses.items():
            content = response.get("content", {})
            if status != "200" and "text/event-stream" in content:
                content["application/json"] = content.pop("text/event-stream")
        _, definitions = models_json_schema(
            [(schemas.StreamEvent, "serialization")], ref_template=REF_TEMPLATE
        )
        components = document["components"]["schemas"]
        for name, schema in definitions["$defs"].items():
            components.setdefault(name, schema)
        document["components"]["schemas"] = dict(sorted(components.items()))
    return app.openapi_schema  # type: ignore[return-value]
