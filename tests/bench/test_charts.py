"""``python -m bench.charts`` draws valid SVG from a small committed results file (issue 20).

No timing: the fixtures' figures are invented, the test checks the files — parseable SVG, one chart
per figure the docs show, the provenance caption, and the same bytes from the same JSON (so the
committed SVGs in docs/performance/ only change when the figures do)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support.processes import REPO

FIXTURES = Path(__file__).parent / "fixtures"
FANOUT = FIXTURES / "fanout-small.json"
RECORDER = FIXTURES / "recorder-small.json"
SVG = "{http://www.w3.org/2000/svg}"


def _charts(out: Path, *results: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.charts", *map(str, results), "--out", str(out)],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _text_of(path: Path) -> str:
    root = ET.parse(path).getroot()  # noqa: S314 (our own output, not untrusted input)
    assert root.tag == f"{SVG}svg", path
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_chart_command_writes_valid_svg_for_every_figure(tmp_path: Path) -> None:
    run = _charts(tmp_path, FANOUT, RECORDER)
    assert run.returncode == 0, run.stdout + run.stderr
    counts = sorted({r["clients"] for r in json.loads(FANOUT.read_text())["runs"]})
    expected = {"headline.svg", "resources.svg", "recorder.svg"}
    expected |= {f"{kind}-{n}.svg" for kind in ("deliveries", "latency") for n in counts}
    assert {p.name for p in tmp_path.iterdir()} == expected
    assert sorted(run.stdout.split()) == sorted(str(tmp_path / name) for name in expected)
    provenance = json.loads(FANOUT.read_text())["provenance"]
    for name in expected:
        text = _text_of(tmp_path / name)
        assert "same run, same machine" in text, name
        assert provenance["commit"] in text and provenance["date"] in text, name
        assert provenance["machine"] in text, name


def test_charts_mark_failing_steps_and_name_every_system(tmp_path: Path) -> None:
    assert _charts(tmp_path, FANOUT).returncode == 0
    results = json.loads(FANOUT.read_text())
    text = _text_of(tmp_path / "deliveries-1000.svg")
    assert "step missed" in text and "step passed" in text
    assert any(not s["ok"] for r in results["runs"] for s in r["steps"] if r["clients"] == 1000)
    for label in ("pigw (SSE)", "Mosquitto subscribers (floor)"):
        assert label in text


def test_same_json_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert _charts(first, FANOUT).returncode == 0
    assert _charts(second, FANOUT).returncode == 0
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
        assert b"<dc:date>" not in path.read_bytes()


def test_a_file_that_is_no_benchmark_result_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "other.json"
    bad.write_text('{"hello": 1}')
    run = _charts(tmp_path / "out", bad)
    assert run.returncode == 2
    assert "other.json" in run.stderr and "not a pigw-bench result" in run.stderr


def test_the_committed_charts_are_drawn_from_the_committed_json(tmp_path: Path) -> None:
    """docs/performance.md promises that its SVGs come from docs/performance/fanout.json by
    one command; after a change to the charts, run that command again."""
    committed = REPO / "docs" / "performance"
    run = _charts(tmp_path, committed / "fanout.json")
    assert run.returncode == 0, run.stderr
    for drawn in tmp_path.iterdir():
        assert drawn.read_bytes() == (committed / drawn.name).read_bytes(), drawn.name
