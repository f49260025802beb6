"""Fixtures every tier shares. Tiers: pure unit tests (no marker), ``integration`` (a real Mosquitto
and our real processes), ``browser`` (real headless Chromium), ``soak`` (long, only with ``--soak``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import Mosquitto


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False, help="also run the long soak scenarios"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Soak runs are opt-in by design (minutes each); they are deselected, not skipped, so a normal
    # run reports exactly what it ran.
    if config.getoption("--soak"):
        return
    kept = [item for item in items if "soak" not in item.keywords]
    deselected = [item for item in items if "soak" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gateway a test starts (in-process or as a child process, which inherits the
    environment) keeps its history store in the test's own folder, never in the repo's ./.run."""
    monkeypatch.setenv("PIGW_GATEWAY_STATE_DIR", str(tmp_path / "gateway-state"))


@pytest.fixture
def broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Mosquitto]:
    """A fresh Mosquitto from ``mosquitto/dev.conf`` on a free loopback port, stopped afterwards."""
    mosquitto = Mosquitto(tmp_path / "broker").start()
    try:
        yield mosquitto
    finally:
        mosquitto.process.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- mosquitto log ---\n{mosquitto.process.tail()}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    # Lets fixtures see whether the test body failed (to print the logs of the processes it ran).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
