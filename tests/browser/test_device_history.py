"""The device page's history in real Chromium (issue 15): a range change asks the recorder for
the right tier (``step``), live readings append while the range ends at "now", a silence is drawn
as a gap, the CSV download holds the range shown, and the coverage says what is missing.

The readings of the ``tank`` device are published straight to the broker with their own ``ts``
(``fleet_devices.py``), so a test can place a silence in the past without waiting for it. The CSV
and coverage tests need the recorder (CONTRACT.md v3, "The recorder"); the others also pass
against the v2 in-memory history."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.dashboard_page import (
    BrowserPage,
    address,
    open_device_page,
    points,
    seq,
    wait_live,
    wait_points_above,
    wait_seq_above,
)
from tests.browser.fleet_devices import announce, now, publish_levels
from tests.browser.system import System
from tests.support.mqtt import recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

TANK = "tank"
#: The tank's sensor publishes every minute: a silence over 2.5 min is a gap.
INTERVAL = 60.0


def history_steps(requests: list[str], point: str = "distance") -> list[str]:
    """The ``step`` of every history request the page made for ``point``, in order."""
    steps = []
    for url in requests:
        parts = urlsplit(url)
        if parts.path.endswith(f"/sensors/{point}/history"):
            steps.extend(parse_qs(parts.query).get("step", ["?"]))
    return steps


def test_a_range_change_asks_for_the_right_step(system: System, browser_page: BrowserPage) -> None:
    page = browser_page.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_device_page(page, system.url)
    wait_until(lambda: history_steps(requested) == ["1m"], 30, "the 24 h view's request")

    for preset, step in [("7d", "1h"), ("1h", "raw"), ("30d", "1h"), ("24h", "1m")]:
        page.locator(f'[data-range="{preset}"]').click()
        expect(page.locator(f'[data-range="{preset}"]')).to_have_attribute("aria-pressed", "true")
        wait_until(lambda step=step: history_steps(requested)[-1:] == [step], 30, f"{preset}")
        expect(page.locator("[data-step]")).to_have_attribute("data-step", step)
    # One request per chart and range: no sensor asked twice for the same range.
    assert history_steps(requested) == ["1m", "1h", "raw", "1h", "1m"]
    assert browser_page.console.errors() == []


def test_live_readings_append_only_while_the_range_ends_now(
    system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    open_device_page(page, system.url)
    page.locator('[data-range="1h"]').click()
    drawn = wait_points_above(page, 0)
    wait_points_above(page, drawn)  # live readings join the chart

    page.get_by_role("button", name="Earlier").click()  # half an hour back: a fixed window
    expect(page.locator('[data-range="custom"]')).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(
        "() => document.querySelector('[data-sensor=distance] [data-history]')?.dataset.history"
        " === 'chart'"
    )
    fixed = points(page)
    wait_seq_above(page, wait_seq_above(page, seq(page)))  # two new readings arrived ...
    assert points(page) == fixed  # ... and the past did not change
    assert browser_page.console.errors() == []


def tank(page: Page) -> Locator:
    return page.locator(f'[data-device="{TANK}"]')


def open_tank(page: Page, system: System) -> None:
    page.goto(address(system.url, route=f"/devices/{TANK}"))
    wait_live(page)
    expect(tank(page).get_by_role("heading", level=2)).to_have_text("Tank")
    page.locator('[data-range="1h"]').click()


def test_a_silence_is_drawn_as_a_gap(system: System, browser_page: BrowserPage) -> None:
    start = now() - 50 * 60
    with recorder(system.broker.host, system.broker.port) as mqtt:
        announce(mqtt, TANK, "Tank", interval=INTERVAL)
        # 20 minutes of readings, 20 minutes of silence, then 10 minutes up to now.
        sent = publish_levels(mqtt, TANK, [start + i * INTERVAL for i in range(21)])
        sent += publish_levels(
            mqtt, TANK, [start + (40 + i) * INTERVAL for i in range(10)], first_seq=22
        )
    page = browser_page.page
    open_tank(page, system)
    chart = tank(page).locator('[data-sensor="level"] [data-chart]')
    expect(chart).to_have_attribute("data-points", str(len(sent)))
    expect(chart).to_have_attribute("data-gaps", "1")  # one break in the line, not a slope
    assert browser_page.console.errors() == []


def test_the_csv_download_holds_the_range_shown(system: System, browser_page: BrowserPage) -> None:
    # Needs the recorder: `format=csv` on the history route.
    start = now() - 30 * 60
    with recorder(system.broker.host, system.broker.port) as mqtt:
        announce(mqtt, TANK, "Tank", interval=INTERVAL)
        publish_levels(mqtt, TANK, [start - 2 * 3600 + i * INTERVAL for i in range(5)])  # too old
        sent = publish_levels(mqtt, TANK, [start + i * INTERVAL for i in range(20)], first_seq=6)
    page = browser_page.page
    open_tank(page, system)
    expect(tank(page).locator('[data-sensor="level"] [data-chart]')).to_have_attribute(
        "data-points", str(len(sent))
    )
    with page.expect_download() as download:
        tank(page).get_by_role("link", name="Download Level as CSV").click()
    assert download.value.suggested_filename.startswith(f"{TANK}-level-")
    path = download.value.path()
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert table[0] == ["ts", "value", "seq"]
    assert [(int(row[2]), float(row[1])) for row in table[1:]] == [
        (seq_, value) for seq_, _, value in sent
    ]
    assert browser_page.console.errors() == []


def test_the_coverage_says_what_is_missing(system: System, browser_page: BrowserPage) -> None:
    # Needs the recorder: `GET /api/devices/{dev}/coverage`. seq 6-9 never arrive.
    start = now() - 10 * 60
    with recorder(system.broker.host, system.broker.port) as mqtt:
        announce(mqtt, TANK, "Tank", interval=INTERVAL)
        publish_levels(mqtt, TANK, [start + i * INTERVAL for i in range(5)])
        publish_levels(mqtt, TANK, [start + (5 + i) * INTERVAL for i in range(3)], first_seq=10)
    page = browser_page.page
    open_tank(page, system)
    coverage = tank(page).locator("[data-coverage]")
    expect(coverage).to_have_attribute("data-coverage", "missing")
    expect(coverage).to_contain_text("4 readings missing")
    assert browser_page.console.errors() == []
