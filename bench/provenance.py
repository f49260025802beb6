"""Where and when a benchmark ran: machine, date and commit, stored in its JSON for the captions.

The charts (``bench/charts``) print these under every figure, so a reader can tell which run and
which code a curve belongs to without the console log.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def provenance() -> dict[str, Any]:
    """The machine (CPU model, cores, memory, kernel), the UTC date and the commit (``+dirty``
    when the work tree had changes) of the run being recorded."""
    commit = _git("rev-parse", "--short=10", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    return {
        "machine": (
            f"{os.cpu_count()} cores, {_cpu_model()}, {_memory_gb():.0f} GB, "
            f"Linux {platform.release()}"
        ),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "python": platform.python_version(),
        "load": _load(),
    }


def _load() -> str:
    """The 1/5/15-minute load averages: on a shared machine, what else was running."""
    try:
        return " / ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return ""


def add_load_at_end(provenance: dict[str, Any]) -> dict[str, Any]:
    """The same provenance with the load averages at the end of the run beside those at its
    start (``load``), so a reader can see whether the machine got busier meanwhile."""
    return {
        **provenance,
        "load": f"{provenance.get('load') or '?'} at the start, {_load()} at the end",
    }
