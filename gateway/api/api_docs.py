"""``GET /docs``: Swagger UI from files the gateway serves itself, so the API docs work without
internet (issue 15: FastAPI's default page loads Swagger UI from a CDN and is blank offline).

The dashboard's build copies Swagger UI's files (npm ``swagger-ui-dist``) into
``gateway/web/dist/swagger/``, which :func:`gateway.api.dashboard.install_dashboard` serves at
``/swagger``. Every URL on the page is relative, so it also works behind a proxy's sub-path. Without
a build the page falls back to FastAPI's CDN copy (as before).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gateway.api.dashboard import DIST

SWAGGER_FILES: Final = ("swagger-ui-bundle.js", "swagger-ui.css")
TITLE: Final = "pigw gateway — API"


def install_api_docs(app: FastAPI, dist: Path = DIST) -> None:
    """Add ``/docs``; ``app`` must be created with ``docs_url=None``."""
    local = all((dist / "swagger" / name).is_file() for name in SWAGGER_FILES)

    async def docs() -> HTMLResponse:
        if not local:
            return get_swagger_ui_html(openapi_url="openapi.json", title=TITLE)
        return get_swagger_ui_html(
            openapi_url="openapi.json",
            title=TITLE,
            swagger_js_url="swagger/swagger-ui-bundle.js",
            swagger_css_url="swagger/swagger-ui.css",
            swagger_favicon_url="swagger/favicon-32x32.png",
        )

    app.add_api_route("/docs", docs, include_in_schema=False, response_class=HTMLResponse)
