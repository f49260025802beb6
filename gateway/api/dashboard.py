"""``GET /``: the React dashboard's build (``gateway/web/dist``), or a page saying how to build it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

DIST: Final = Path(__file__).resolve().parents[1] / "web" / "dist"

NOT_BUILT: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pigw gateway</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>pigw gateway</h1>
<p>The gateway is running, but the dashboard has not been built
(<code>gateway/web/dist</code> does not exist).</p>
<p>Build it with <code>make web</code> (or run <code>make demo</code>), then reload this page.</p>
<p>Meanwhile: <a href="/docs">the API</a>, <a href="/api/devices">/api/devices</a>,
<a href="/api/events">/api/events</a> (the live stream), <a href="/readyz">/readyz</a>.</p>
</body></html>
"""


def install_dashboard(app: FastAPI, dist: Path = DIST) -> None:
    """Serve the build in ``dist`` at ``/`` when there is one, else the "not built" page.

    Only what the build holds gets a route: ``/`` (its ``index.html``), a mount per folder
    (``/assets``) and a route per other top-level file. A ``StaticFiles`` mounted at ``/`` would
    also be right, but it matches every path and method, so Starlette would hand it an API path
    called with the wrong method: ``GET`` on a ``POST`` route would be a 404 from the file server
    instead of the API's 405 with its ``Allow`` header."""
    if not (dist / "index.html").is_file():

        async def not_built() -> HTMLResponse:
            return HTMLResponse(NOT_BUILT)

        app.add_api_route("/", not_built, include_in_schema=False, response_class=HTMLResponse)
        return
    for entry in sorted(dist.iterdir()):
        if entry.is_dir():
            app.mount(
                f"/{entry.name}", StaticFiles(directory=entry), name=f"dashboard-{entry.name}"
            )
        elif entry.is_file():
            paths = ["/", "/index.html"] if entry.name == "index.html" else [f"/{entry.name}"]
            for path in paths:
                app.add_api_route(
                    path,
                    _file_endpoint(entry),
                    methods=["GET", "HEAD"],
                    include_in_schema=False,
                    response_class=FileResponse,
                )


def _file_endpoint(file: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(file)

    return serve
