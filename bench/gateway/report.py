"""Turning runs into the tables of issues 4 and 7: medians over runs, ratios against the floor."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

from bench.gateway.run import Step, SystemRun

#: The latency figure's rate (issue 7: "100 clients, 100 msg/s").
REFERENCE_RATE = 100.0
LABELS = {
    "floor": "Mosquitto, plain MQTT subscribers (the floor)",
    "nodered": "Node-RED, mqtt-in -> websocket-out",
    "textbook": "textbook FastAPI + sse-starlette, one queue per client",
    "pigw": "pigw gateway (SSE), no history store",
    "pigw-recorder": "pigw gateway (SSE) + recorder (SQLite)",
    "cluster": "NATS cluster (3 nodes), plain MQTT subscribers across it",
}


def step_line(step: Step) -> str:
    return (
        f"{step.system:13} {step.clients:6d} {step.rate:6.0f} {step.deliveries_per_s:9.0f} "
        f"{step.loss:7.2%} {step.gaps:4d} {step.p50_ms:8.2f} {step.p99_ms:8.2f} "
        f"{step.server_cpu:6.0%} {step.broker_cpu:6.0%} {step.client_cpu:6.0%} "
        f"{step.server_rss_mb:6.1f} {'ok' if step.ok else 'MISS'}"
    )


STEP_HEADER = (
    f"{'system':13} {'client':>6} {'msg/s':>6} {'deliv/s':>9} {'loss':>7} {'gaps':>4} "
    f"{'p50 ms':>8} {'p99 ms':>8} {'server':>6} {'broker':>6} {'client':>6} {'RSS MB':>6} ok?"
)


def _median(values: Iterable[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else float("nan")


def reference_step(run: SystemRun) -> Step | None:
    """The step at the reference rate (the repeat, when the first try missed)."""
    chosen = None
    for step in run.steps:
        if step.rate == REFERENCE_RATE:
            chosen = step
            if step.ok:
                break
    return chosen or (run.steps[0] if run.steps else None)


def best_step(run: SystemRun) -> Step | None:
    """The step with the most deliveries/s among those that passed (issue 7's "max"). A rate that
    missed twice ended the stepping; no step at or above it counts."""
    missed = [s.rate for s in run.steps if not s.ok]
    ceiling = min(r for r in missed if missed.count(r) >= 2) if _twice(missed) else float("inf")
    passed = [step for step in run.steps if step.ok and step.rate < ceiling]
    return max(passed, key=lambda s: s.deliveries_per_s) if passed else None


def _twice(missed: list[float]) -> bool:
    return any(missed.count(r) >= 2 for r in missed)


def summarise(runs: list[SystemRun]) -> dict[tuple[str, int], dict[str, Any]]:
    """Per (system, clients): medians over the repeated runs."""
    groups: dict[tuple[str, int], list[SystemRun]] = {}
    for run in runs:
        groups.setdefault((run.system, run.clients), []).append(run)
    summary: dict[tuple[str, int], dict[str, Any]] = {}
    for key, group in groups.items():
        refs = [s for s in (reference_step(r) for r in group) if s is not None]
        bests = [best_step(r) for r in group]
        summary[key] = {
            "runs": len(group),
            "errors": [r.error for r in group if r.error],
            "ref_rate": refs[0].rate if refs else float("nan"),
            "p50_ms": _median(s.p50_ms for s in refs),
            "p99_ms": _median(s.p99_ms for s in refs),
            "ref_ok": all(s.ok for s in refs) and bool(refs),
            "max_deliveries_per_s": _median(
                (b.deliveries_per_s if b is not None else 0.0) for b in bests
            ),
            "max_rate": _median((b.rate if b is not None else 0.0) for b in bests),
            "rss_at_max_mb": _median(b.server_rss_mb for b in bests if b is not None),
            "peak_rss_mb": _median(
                max((s.server_rss_mb for s in r.steps), default=0) for r in group
            ),
            "server_cpu_at_max": _median(b.server_cpu for b in bests if b is not None),
            "client_cpu_max": max((s.client_cpu for r in group for s in r.steps), default=0.0),
            "stopped_by": [_why(r) for r in group],
        }
    return summary


def _why(run: SystemRun) -> str:
    if run.error:
        return "error"
    last = run.steps[-1] if run.steps else None
    if last is None:
        return "no steps"
    if last.ok:
        return "top of the schedule"
    reasons = []
    if last.delivered != last.expected or last.gaps:
        reasons.append(f"loss at {last.rate:.0f} msg/s")
    if not last.p99_ms <= 100:
        reasons.append(f"p99 {last.p99_ms:.0f} ms at {last.rate:.0f} msg/s")
    return ", ".join(reasons)


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    if math.isnan(value):
        return "-"
    if unit == "/s":
        return f"{value / 1000:.0f}k" if value >= 1000 else f"{value:.0f}"
    return f"{value:.{digits}f}{unit}"


def _ratio(value: float, floor: float) -> str:
    if math.isnan(value) or math.isnan(floor) or floor == 0:
        return "-"
    return f"{value / floor:.2f}x"


def tables(summary: dict[tuple[str, int], dict[str, Any]], systems: list[str]) -> str:
    """Issue 7's table, then issue 4's per-client-count figures with ratios to the floor."""
    counts = sorted({clients for _, clients in summary})
    out: list[str] = []
    big = max(counts) if counts else 0
    mid = 100 if 100 in counts else (counts[0] if counts else 0)
    out.append(
        f"\nIssue 7 (medians of {max((v['runs'] for v in summary.values()), default=0)} runs; "
        f"'max' = best rate with p99 <= 100 ms and nothing lost)"
    )
    out.append(
        f"| setup | {mid} clients, {REFERENCE_RATE:.0f} msg/s: p50 / p99 | max deliveries/s, "
        f"{mid} clients | max deliveries/s, {big} clients | RSS at {big} |"
    )
    out.append("|---|---|---|---|---|")
    for system in systems:
        m, b = summary.get((system, mid)), summary.get((system, big))
        if m is None and b is None:
            continue
        latency = f"{_fmt(m['p50_ms'], ' ms', 2)} / {_fmt(m['p99_ms'], ' ms', 2)}" if m else "-"
        max_mid = _fmt(m["max_deliveries_per_s"], "/s") if m else "-"
        max_big = _fmt(b["max_deliveries_per_s"], "/s") if b else "-"
        rss = _fmt(b["rss_at_max_mb"], " MB", 0) if b else "-"
        out.append(f"| {LABELS.get(system, system)} | {latency} | {max_mid} | {max_big} | {rss} |")
    out.append("\nIssue 4: each system beside the plain MQTT subscriber floor, same run")
    out.append(
        "| clients | system | p50 | p99 | x floor p50 | x floor p99 | max deliveries/s | "
        "x floor | stopped by |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for clients in counts:
        floor = summary.get(("floor", clients))
        for system in systems:
            row = summary.get((system, clients))
            if row is None:
                continue
            f50 = floor["p50_ms"] if floor else float("nan")
            f99 = floor["p99_ms"] if floor else float("nan")
            fmax = floor["max_deliveries_per_s"] if floor else float("nan")
            out.append(
                f"| {clients} | {system} | {_fmt(row['p50_ms'], ' ms', 2)} | "
                f"{_fmt(row['p99_ms'], ' ms', 2)} | {_ratio(row['p50_ms'], f50)} | "
                f"{_ratio(row['p99_ms'], f99)} | {_fmt(row['max_deliveries_per_s'], '/s')} | "
                f"{_ratio(row['max_deliveries_per_s'], fmax)} | {'; '.join(row['stopped_by'])} |"
            )
    if any(system == "pigw-recorder" for system, _ in summary):
        out.append("\nIssue 14: the recorder's cost, pigw + recorder beside pigw, same run")
        out.append("| clients | max deliveries/s, recorder on / off | ratio | peak RSS on / off |")
        out.append("|---|---|---|---|")
        for clients in counts:
            on, off = summary.get(("pigw-recorder", clients)), summary.get(("pigw", clients))
            if on is None or off is None:
                continue
            out.append(
                f"| {clients} | {_fmt(on['max_deliveries_per_s'], '/s')} / "
                f"{_fmt(off['max_deliveries_per_s'], '/s')} | "
                f"{_ratio(on['max_deliveries_per_s'], off['max_deliveries_per_s'])} | "
                f"{_fmt(on['peak_rss_mb'], ' MB', 0)} / {_fmt(off['peak_rss_mb'], ' MB', 0)} |"
            )
    return "\n".join(out)
