"""``python -m bench.recorder`` runs end to end on both pigw stores at a tiny size, timing the
route's own raw-JSON path (no timing is asserted: the figures live in docs/history.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO


def test_a_tiny_recorder_bench_answers_every_raw_reading(tmp_path: Path) -> None:
    out = tmp_path / "recorder.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.recorder", "--days", "0.05", "--runs", "1",
         "--stores", "sqlite", "postgresql", "--json", str(out)],
        cwd=REPO, check=False, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.read_text())
    stores = {s["store"]: s for s in doc["stores"]}
    assert set(stores) == {"pigw-sqlite", "pigw-postgresql"}
    for result in stores.values():
        assert result["raw_24h_rows"] == 4_320  # 0.05 days at 1/s: all inside the last 24 h
        assert result["raw_24h_ms"] > 0 and result["bytes_per_reading"] > 0
