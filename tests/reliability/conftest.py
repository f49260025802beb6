"""Fixtures of the fault-injection suite: the figures each scenario reports.

Every scenario records what it measured (gaps, duplicates, times, memory, descriptors) with the
``figures`` fixture. They are printed with the test's output and, at the end of the run, as one
"reliability figures" section of the terminal summary, which is what ``docs/reliability.md``
tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.rig import System

_FIGURES = pytest.StashKey[list["Figures"]]()


@dataclass
class Figures:
    """What one scenario measured, in the order it was recorded."""

    test: str
    values: dict[str, object] = field(default_factory=dict)

    def __setitem__(self, name: str, value: object) -> None:
        self.values[name] = value

    def __getitem__(self, name: str) -> object:
        return self.values[name]

    def update(self, values: dict[str, object]) -> None:
        self.values.update(values)

    def lines(self) -> list[str]:
        return [f"{self.test}:"] + [f"    {name} = {value}" for name, value in self.values.items()]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    found = Figures(request.node.nodeid.split("::", 1)[-1])
    yield found
    request.config.stash.setdefault(_FIGURES, []).append(found)
    print("\n".join(["", "--- reliability figures ---", *found.lines()]))


@pytest.fixture
def system(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    """Gateways, agents and browser-like clients started by the scenario, stopped afterwards."""
    started = System(tmp_path)
    try:
        yield started
    finally:
        report = getattr(request.node, "rep_call", None)
        started.close(failed=report is not None and report.failed)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    recorded = terminalreporter.config.stash.get(_FIGURES, [])
    if not recorded:
        return
    terminalreporter.write_sep("=", "reliability figures")
    for found in recorded:
        for line in found.lines():
            terminalreporter.write_line(line)
