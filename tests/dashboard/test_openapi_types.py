"""The dashboard's API types come from the gateway's OpenAPI, never by hand (issue 5).

``gateway/web/src/api/openapi.json`` is committed together with the TypeScript generated from it
(``schema.ts``). This test fails when the gateway's schemas changed and nobody regenerated; the
Vitest test ``src/api/schema.test.ts`` fails when ``schema.ts`` does not match ``openapi.json``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.dump_openapi import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "gateway" / "web" / "src" / "api" / "openapi.json"


def test_committed_openapi_matches_the_gateway_app() -> None:
    current = openapi_document()
    assert '"/api/devices"' in current  # the dump really is the gateway's API
    if COMMITTED.read_text(encoding="utf-8") != current:
        pytest.fail(
            "gateway/web/src/api/openapi.json is out of date with the gateway: "
            "run `npm run gen:api` in gateway/web and commit both generated files"
        )
