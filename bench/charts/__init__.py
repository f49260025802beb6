"""Charts of the benchmarks' JSON (issue 20): SVG files, byte for byte the same for the same JSON.

``python -m bench.charts RESULTS.json [MORE.json ...] --out DIR`` draws every JSON it is given,
recognising it by its shape: the fan-out benchmark's (``python -m bench --json``: ``runs`` and
``summary``) or the recorder's (``"benchmark": "recorder"``, see :mod:`bench.charts.recorder`).
``python -m bench --json FILE`` draws its own charts next to FILE.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.charts import fanout, recorder


class NotABenchmark(ValueError):
    """The JSON is neither the fan-out benchmark's nor the recorder's."""


def write_charts(results: dict[str, Any], out: Path) -> list[Path]:
    """Draw one benchmark's results into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    if results.get("benchmark") == "recorder":
        return recorder.write(results, out)
    if "runs" in results and "summary" in results:
        return fanout.write(results, out)
    raise NotABenchmark("not a pigw-bench result: expected 'runs' and 'summary', or 'benchmark'")


def write_charts_of(path: Path, out: Path) -> list[Path]:
    """Read a results file and draw it (see :func:`write_charts`)."""
    results = json.loads(path.read_text())
    if not isinstance(results, dict):
        raise NotABenchmark(f"{path}: not a JSON object")
    return write_charts(results, out)
