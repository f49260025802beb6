"""The benchmark's ``cluster`` system works: plain MQTT subscribers on node 2 of a fresh three-node
NATS cluster get every reading the publisher sends to node 1 (issue 19). No timing asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import REPO

pytestmark = pytest.mark.integration


def test_quickest_cluster_run_delivers_every_reading_across_the_cluster(tmp_path: Path) -> None:
    out = tmp_path / "cluster.json"
    run = subprocess.run(
        [
            sys.executable, "-m", "bench", "--quick", "--clients", "2",
            "--systems", "floor", "cluster", "--json", str(out),
        ],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    runs = {r["system"]: r for r in json.loads(out.read_text())["runs"]}
    assert set(runs) == {"floor", "cluster"}
    for system, result in runs.items():
        assert result["error"] is None, (system, result["error"])
        (step,) = result["steps"]
        assert step["sent"] > 0 and step["expected"] == step["sent"] * 2, (system, step)
        assert step["delivered"] == step["expected"] and step["gaps"] == 0, (system, step)
        assert step["server_rss_mb"] > 0, (system, step)
    assert (tmp_path / "deliveries-2.svg").exists()
