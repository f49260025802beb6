"""What a process costs, read from ``/proc`` (Linux): resident memory and open file descriptors."""

from __future__ import annotations

import os
import time
from pathlib import Path


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def open_fds(pid: int) -> int:
    """File descriptors ``pid`` has open (the entries of ``/proc/<pid>/fd``)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def fds_at_rest(pid: int, samples: int = 20) -> int:
    """``pid``'s descriptors without the test's own short HTTP requests: the least of a few samples
    10 ms apart (a server closes a finished request's socket a moment after the client does, so a
    count taken right after a request may still include it)."""
    least = open_fds(pid)
    for _ in range(samples):
        time.sleep(0.01)  # poll
        least = min(least, open_fds(pid))
    return least
