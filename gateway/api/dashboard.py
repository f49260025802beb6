"""``GET /``: the React dashboard's build (``gateway/web/dist``), or a page saying how to build it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
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
    """Serve ``dist`` at ``/`` when it holds a build, else the "not built" page. Mounted last, so
    every API route wins over a file of the same name."""
    if (dist / "index.html").is_file():
        app.mount("/", StaticFiles(directory=dist, html=True), name="dashboard")
        return

    async def not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT)

    app.add_api_route("/", not_built, include_in_schema=False, response_class=HTMLResponse)
