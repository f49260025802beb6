"""The recorder benchmark's chart: ingest and query time of pigw's history store beside InfluxDB and
PostgreSQL, measured in the same run.

The recorder's benchmark (``bench/recorder``) writes a JSON of this shape; :func:`write` takes it as
it is (``python -m bench.charts recorder.json --out DIR`` or a call from the benchmark itself)::

    {"benchmark": "recorder",
     "provenance": {...},                       # bench.provenance.provenance()
     "stores": [
       {"store": "pigw-sqlite",                 # a short key
        "label": "pigw recorder (SQLite)",      # optional, shown in the legend
        "ingest_per_s": 41000.0,                # readings stored per second
        "queries": {"raw, 24 h": 3.1,           # query name -> milliseconds (median)
                    "1-minute buckets, 90 days": 12.5}},
       {"store": "influxdb", ...}, {"store": "postgresql", ...}]}

A store without a figure (``null``, or a query it did not run) is drawn as "not measured".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.charts import figure

COLOURS = ("#d62728", "#e377c2", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def write(results: Mapping[str, Any], out: Path) -> list[Path]:
    stores: list[Mapping[str, Any]] = list(results.get("stores", []))
    if not stores:
        raise KeyError("'stores': a recorder result lists at least one store")
    labels = [str(s.get("label") or s["store"]) for s in stores]
    queries: list[str] = []
    for store in stores:
        queries += [q for q in store.get("queries", {}) if q not in queries]
    fig = figure.new(width=8.0)
    ingest, query = fig.subplots(1, 2, width_ratios=(1, max(1, len(queries))))
    for i, store in enumerate(stores):
        value = _number(store.get("ingest_per_s"))
        colour = COLOURS[i % len(COLOURS)]
        if math.isnan(value):
            ingest.text(i, 0, "not measured", rotation=90, ha="center", va="bottom", fontsize=6)
        else:
            ingest.bar(i, value, 0.8, color=colour)
            ingest.text(i, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=6)
    ingest.set_xticks(range(len(stores)), labels, rotation=30, ha="right", fontsize=7)
    ingest.set_title("Ingest")
    ingest.set_ylabel("readings stored per second")
    ingest.grid(alpha=0.3, axis="y")
    width = 0.8 / len(stores)
    for i, (store, label) in enumerate(zip(stores, labels, strict=True)):
        for j, name in enumerate(queries):
            value = _number(store.get("queries", {}).get(name))
            x = j + (i - (len(stores) - 1) / 2) * width
            if math.isnan(value):
                query.text(x, 0, "not measured", rotation=90, ha="center", va="bottom", fontsize=6)
                continue
            query.bar(x, value, width * 0.9, color=COLOURS[i % len(COLOURS)],
                      label=label if j == 0 else None)  # fmt: skip
            query.text(x, value, f"{value:.1f}", ha="center", va="bottom", fontsize=6)
    times = [
        v
        for store in stores
        for v in map(_number, store.get("queries", {}).values())
        if not math.isnan(v) and v > 0
    ]
    if times and max(times) / min(times) > 50:  # 7 ms beside 3.5 s: a linear axis hides one
        query.set_yscale("log")
    query.set_xticks(range(len(queries)), queries, fontsize=7)
    query.set_title("Query time")
    query.set_ylabel("ms (median)" + (", log scale" if query.get_yscale() == "log" else ""))
    query.grid(alpha=0.3, axis="y")
    query.legend(fontsize=7, frameon=False)
    return [figure.save(fig, out / "recorder.svg", results.get("provenance"))]
