"""The fan-out benchmark's charts (``python -m bench --json``; method in docs/performance.md).

- ``deliveries-<N>.svg``: deliveries/s against the publish rate per system at N clients (100 and
  1,000 when the run has them), every step marked as passed (p99 <= 100 ms, nothing lost) or missed;
  the line is the median over the runs, the dashed line what every client getting every reading is;
- ``latency-<N>.svg``: p50 and p99 against the rate, the 100 ms limit drawn in;
- ``resources.svg``: server CPU (share of one core) and RSS per system at its best passing step;
- ``headline.svg``: the best passing deliveries/s per system and client count (the README's chart).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from bench.charts import figure

#: The client counts the issue asks curves for; a run without them gets curves for what it has.
CURVE_CLIENTS = (100, 1000)
P99_LIMIT_MS = 100.0
ORDER = ("floor", "textbook", "nodered", "cluster", "pigw", "pigw-recorder")


def _systems(results: Mapping[str, Any]) -> list[str]:
    seen = {run["system"] for run in results["runs"]}
    return [s for s in ORDER if s in seen] + sorted(seen - set(ORDER))


def _counts(results: Mapping[str, Any]) -> list[int]:
    return sorted({int(run["clients"]) for run in results["runs"]})


def _runs_of(results: Mapping[str, Any], system: str, clients: int) -> list[Mapping[str, Any]]:
    return [r for r in results["runs"] if r["system"] == system and r["clients"] == clients]


def _median(values: Iterable[float]) -> float:
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(kept) if kept else math.nan


def _by_rate(runs: list[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """Median of ``key`` per rate over the runs, each run's last try at a rate (its repeat, when
    the first try missed)."""
    per_rate: dict[float, list[float]] = {}
    for run in runs:
        last: dict[float, float] = {}
        for step in run["steps"]:
            last[float(step["rate"])] = float(step[key])
        for rate, value in last.items():
            per_rate.setdefault(rate, []).append(value)
    rates = sorted(per_rate)
    return rates, [_median(per_rate[r]) for r in rates]


def _mark_steps(ax: Axes, runs: list[Mapping[str, Any]], key: str, colour: str) -> None:
    steps = [s for run in runs for s in run["steps"] if not math.isnan(float(s[key]))]
    passed = [s for s in steps if s["ok"]]
    missed = [s for s in steps if not s["ok"]]
    ax.scatter([s["rate"] for s in passed], [s[key] for s in passed], s=16, color=colour, zorder=3)
    ax.scatter(
        [s["rate"] for s in missed], [s[key] for s in missed], s=26, marker="x", color=colour,
        zorder=3, linewidths=1.2,
    )  # fmt: skip


def _step_legend(ax: Axes, systems: list[str]) -> None:
    handles = [Line2D([], [], color=figure.colour(s), label=figure.name(s)) for s in systems]
    handles += [
        Line2D([], [], color="black", marker="o", linestyle="", markersize=4,
               label="step passed (p99 ≤ 100 ms, nothing lost)"),
        Line2D([], [], color="black", marker="x", linestyle="", markersize=5, label="step missed"),
    ]  # fmt: skip
    ax.legend(handles=handles, fontsize=7, loc="upper left", frameon=False)


def _runs_note(results: Mapping[str, Any]) -> str:
    runs = results.get("args", {}).get("runs", 1)
    return f"{runs} run{'s' if runs != 1 else ''}, lines are medians"


def deliveries(results: Mapping[str, Any], clients: int, out: Path) -> Path:
    fig = figure.new()
    ax = fig.add_subplot()
    systems = [s for s in _systems(results) if _runs_of(results, s, clients)]
    top = 0.0
    for system in systems:
        runs = _runs_of(results, system, clients)
        rates, values = _by_rate(runs, "deliveries_per_s")
        ax.plot(rates, values, color=figure.colour(system), linewidth=1.4)
        _mark_steps(ax, runs, "deliveries_per_s", figure.colour(system))
        top = max([top, *rates])
    if top:
        ax.plot([0, top], [0, top * clients], color="#bbbbbb", linestyle="--", linewidth=1)
        ax.annotate(
            "every reading to every client", (top, top * clients), fontsize=7, color="#888888",
            ha="right", va="bottom",
        )  # fmt: skip
    ax.set_title(f"Deliveries per second at {clients:,} clients")
    ax.set_xlabel("publish rate (readings/s, one device)")
    ax.set_ylabel("deliveries/s (readings x clients received)")
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _step_legend(ax, systems)
    return figure.save(
        fig, out / f"deliveries-{clients}.svg", results.get("provenance"), _runs_note(results)
    )


def latency(results: Mapping[str, Any], clients: int, out: Path) -> Path:
    fig = figure.new(width=8.0)
    axes = fig.subplots(1, 2, sharey=True)
    systems = [s for s in _systems(results) if _runs_of(results, s, clients)]
    for ax, key, label in zip(axes, ("p50_ms", "p99_ms"), ("p50", "p99"), strict=True):
        for system in systems:
            runs = _runs_of(results, system, clients)
            rates, values = _by_rate(runs, key)
            ax.plot(rates, values, color=figure.colour(system), linewidth=1.4)
            _mark_steps(ax, runs, key, figure.colour(system))
        ax.axhline(P99_LIMIT_MS, color="#888888", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set_title(f"{label} latency at {clients:,} clients")
        ax.set_xlabel("publish rate (readings/s)")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("publish → receipt, ms (log); dotted: 100 ms")
    _step_legend(axes[0], systems)
    return figure.save(
        fig, out / f"latency-{clients}.svg", results.get("provenance"), _runs_note(results)
    )


def _summary(results: Mapping[str, Any]) -> dict[tuple[str, int], Mapping[str, Any]]:
    return {(row["system"], int(row["clients"])): row for row in results["summary"]}


def _grouped_bars(
    ax: Axes, results: Mapping[str, Any], key: str, scale: float, label: Callable[[float], str]
) -> None:
    summary = _summary(results)
    systems, counts = _systems(results), _counts(results)
    width = 0.8 / max(1, len(systems))
    for i, system in enumerate(systems):
        for j, clients in enumerate(counts):
            row = summary.get((system, clients))
            value = float(row[key]) * scale if row is not None else math.nan
            x = j + (i - (len(systems) - 1) / 2) * width
            if math.isnan(value) or value == 0:
                ax.text(x, 0, "none\npassed", ha="center", va="bottom", fontsize=6, rotation=90)
                continue
            ax.bar(x, value, width * 0.9, color=figure.colour(system),
                   label=figure.name(system) if j == 0 else None)  # fmt: skip
            ax.text(x, value, label(value), ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(counts)), [f"{c:,} clients" for c in counts])
    ax.grid(alpha=0.3, axis="y")


def resources(results: Mapping[str, Any], out: Path) -> Path:
    fig = figure.new(width=8.0)
    cpu, rss = fig.subplots(1, 2)
    _grouped_bars(cpu, results, "server_cpu_at_max", 100.0, "{:.0f} %".format)
    cpu.set_title("Server CPU at the best passing step")
    cpu.set_ylabel("% of one core (the floor: Mosquitto's)")
    _grouped_bars(rss, results, "rss_at_max_mb", 1.0, "{:.0f}".format)
    rss.set_title("Server RSS at the best passing step")
    rss.set_ylabel("MB")
    handles, labels = cpu.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, frameon=False, loc="outside upper center", ncols=4)
    return figure.save(fig, out / "resources.svg", results.get("provenance"), _runs_note(results))


def headline(results: Mapping[str, Any], out: Path) -> Path:
    fig = figure.new(width=7.0, height=3.6)
    ax = fig.add_subplot()
    _grouped_bars(ax, results, "max_deliveries_per_s", 1.0, _rounded)
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_title("Most deliveries/s with p99 ≤ 100 ms and nothing lost")
    ax.set_ylabel("deliveries/s (median of runs)")
    fig.legend(fontsize=7, frameon=False, loc="outside upper center", ncols=4)
    return figure.save(fig, out / "headline.svg", results.get("provenance"), _runs_note(results))


def _thousands(value: float, _position: object = None) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def _rounded(value: float) -> str:
    """A bar's label: 596k, 1.6M, 850."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    return f"{value / 1000:.0f}k" if value >= 1000 else f"{value:.0f}"


def write(results: Mapping[str, Any], out: Path) -> list[Path]:
    counts = _counts(results)
    curves = [c for c in CURVE_CLIENTS if c in counts] or counts
    written = [headline(results, out), resources(results, out)]
    for clients in curves:
        written += [deliveries(results, clients, out), latency(results, clients, out)]
    return written
