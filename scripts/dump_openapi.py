"""Print the gateway's OpenAPI document: the source of the dashboard's generated API types.

Used by ``npm run gen:api`` (in ``gateway/web``) and by ``tests/dashboard/test_openapi_types.py``,
which fails when the committed ``gateway/web/src/api/openapi.json`` differs from this output. It
builds the app with ``create_app()`` on default settings; the lifespan never runs, so nothing
connects and no broker is needed.
"""

from __future__ import annotations

import json
import sys

from gateway.app import create_app
from gateway.settings import GatewaySettings


def openapi_document() -> str:
    """The OpenAPI JSON exactly as committed: two-space indent, UTF-8, a final newline."""
    app = create_app(GatewaySettings())
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(openapi_document())
    return 0


if __name__ == "__main__":
    sys.exit(main())
