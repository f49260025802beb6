"""One chart as a deterministic SVG: a matplotlib ``Figure`` (no pyplot, no global state beyond the
two SVG settings below), a caption with the run's provenance, and a save that is the same bytes for
the same input, so committed SVGs only change when the figures do."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

#: One colour and marker per system, the same in every chart.
COLOURS = {
    "pigw": "#d62728",
    "floor": "#1f77b4",
    "nodered": "#2ca02c",
    "textbook": "#9467bd",
    "cluster": "#ff7f0e",
    "pigw-recorder": "#8c564b",
}
NAMES = {
    "pigw": "pigw (SSE)",
    "pigw-recorder": "pigw (SSE) + recorder",
    "floor": "Mosquitto subscribers (floor)",
    "nodered": "Node-RED 4 (WebSocket)",
    "textbook": "textbook FastAPI + sse-starlette",
    "cluster": "NATS 3-node cluster subscribers",
}
OTHER = "#7f7f7f"

#: Fixed ids (svg.hashsalt) and text kept as text (smaller, diffable files).
SVG_SETTINGS = {"svg.hashsalt": "pigw-bench", "svg.fonttype": "none"}


def colour(system: str) -> str:
    return COLOURS.get(system, OTHER)


def name(system: str) -> str:
    return NAMES.get(system, system)


def new(width: float = 7.0, height: float = 4.2) -> Figure:
    with mpl.rc_context(SVG_SETTINGS):
        return Figure(figsize=(width, height), layout="constrained")


def caption(provenance: Mapping[str, Any] | None, extra: str = "") -> str:
    """The line under every chart: machine, date, commit, and that the systems were measured
    side by side (a figure only means something beside the others of its run)."""
    p = provenance or {}
    parts = [
        str(p.get("date", "date not recorded")),
        f"commit {p.get('commit', 'not recorded')}",
        "same run, same machine",
    ]
    if extra:
        parts.append(extra)
    head = str(p.get("machine", "machine not recorded"))
    if p.get("load"):
        head += f" · load average {p['load']}"
    text = "\n".join(textwrap.wrap(head, 120)) + "\n" + " · ".join(parts)
    note = "\n".join(textwrap.wrap(str(p["note"]), 120)) if p.get("note") else ""
    return text + (f"\n{note}" if note else "")


def save(figure: Figure, path: Path, provenance: Mapping[str, Any] | None, extra: str = "") -> Path:
    """Add the caption and write ``path`` as SVG with no date in its metadata."""
    with mpl.rc_context(SVG_SETTINGS):
        figure.supxlabel(caption(provenance, extra), fontsize=7, color="#555555")
        figure.savefig(path, format="svg", metadata={"Date": None})
    return path
