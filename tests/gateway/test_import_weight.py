"""What a gateway on its defaults does not load (issue 14: RSS ≤ 80 MB at 1,000 streams with the
recorder): asyncpg, imported by the PostgreSQL store when it opens (~4.4 MB); httpx and its client,
made at the first webhook sent (~3.5 MB); watchfiles, which uvicorn loads whenever it is installed,
for a ``--reload`` the gateway never runs (pyproject takes uvicorn[standard]'s parts without it).
Checked in a fresh interpreter, since this test process has loaded them for other tests; the
SQLite store is really opened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gateway.recorder.postgres_store import classify
from gateway.recorder.store import StoreUnavailable

DEFAULT_GATEWAY = """
import asyncio, json, sys
import gateway.__main__, gateway.server
from gateway.app import create_app
from gateway.recorder.factory import build_store
from gateway.settings import GatewaySettings
settings = GatewaySettings(mqtt_url="mqtt://127.0.0.1:1", history_url={url!r})
app = create_app(settings)
store = build_store(settings.resolved_history_url)
asyncio.run(store.open())
asyncio.run(store.close())
print(json.dumps(sorted(m for m in ("asyncpg", "httpx", "watchfiles") if m in sys.modules)))
"""


def test_a_gateway_on_its_defaults_loads_no_asyncpg_httpx_or_watchfiles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    done = subprocess.run(
        [sys.executable, "-c", DEFAULT_GATEWAY.format(url=url)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert (tmp_path / "history.db").exists()  # the store really opened


def test_store_errors_are_classified_without_asyncpg_loaded() -> None:
    assert classify(ConnectionRefusedError("refused")).cause == "connection"
    assert classify(TimeoutError()).cause == "connection"
    other = classify(ValueError("odd"))
    assert isinstance(other, StoreUnavailable) and other.cause == "other"
