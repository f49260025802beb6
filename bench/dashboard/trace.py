"""What a Chromium trace says about the page's main thread: its busy share and its longest task.

Chromium records every task of the renderer's main thread (``CrRendererMain``) as a complete
event (``ph: "X"``) named ``RunTask`` in the ``devtools.timeline`` category, with its duration in
µs; that is the "task" of the Long Tasks API and of DevTools' Performance panel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

TASK_NAMES = frozenset({"RunTask", "ThreadControllerImpl::RunTask"})


@dataclass(frozen=True)
class MainThread:
    window_s: float
    busy_s: float
    tasks: int
    longest_ms: float
    over_50ms: int

    @property
    def busy_share(self) -> float:
        return self.busy_s / self.window_s if self.window_s > 0 else 0.0


def main_thread(trace: bytes) -> MainThread:
    events: list[dict[str, Any]] = json.loads(trace)["traceEvents"]
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
    }  # fmt: skip
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for event in events:
        key = (event.get("pid"), event.get("tid"))
        if key in mains and event.get("ph") == "X" and event.get("name") in TASK_NAMES:
            by_thread.setdefault(key, []).append(event)  # type: ignore[arg-type]
    if not by_thread:
        return MainThread(0.0, 0.0, 0, 0.0, 0)
    tasks = max(by_thread.values(), key=len)  # the page's renderer is the busy one
    stamps = [e["ts"] for e in events if isinstance(e.get("ts"), int | float) and e["ts"] > 0]
    window = (max(stamps) - min(stamps)) / 1e6
    durations = [e.get("dur", 0) / 1000 for e in tasks]
    return MainThread(
        window_s=window,
        busy_s=sum(durations) / 1000,
        tasks=len(durations),
        longest_ms=max(durations),
        over_50ms=sum(1 for d in durations if d > 50),
    )
