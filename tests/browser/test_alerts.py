"""The dashboard's alerts in real Chromium against a real gateway with an alerts file: the header's
badge counts the firing alert, the alerts page lists it, an operator acknowledges it and sees who
did, a viewer gets no button, and the device's chart and fleet row carry the alert's mark."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.dashboard_page import (
    LONG_MS,
    BrowserPage,
    card,
    open_dashboard,
    sensor,
    wait_live,
)
from tests.browser.system import DEVICE_ID, System, start_system
from tests.support.broker import Mosquitto

# The simulated room drifts between 19 and 24 °C: above 0 it holds from the first reading, and
# `for = 0` fires it at once. The CPU rule stays pending for an hour: pending is not counted.
RULES = f"""
[[rules]]
id = "room-warm"
device = "{DEVICE_ID}"
point = "temperature"
when = "above"
threshold = 0
for = 0
severity = "warning"

[[rules]]
id = "cpu-warm"
device = "{DEVICE_ID}"
point = "cpu"
when = "above"
threshold = 0
for = "1h"
severity = "info"
"""

ALERT = f"room-warm/{DEVICE_ID}/temperature"
UNAUTHORIZED = ("status of 401",)


def _run(
    broker: Mosquitto,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    token: str | None,
    role: str = "operator",
) -> Iterator[System]:
    running = start_system(broker, tmp_path, token, role, alerts=RULES)
    try:
        yield running
    finally:
        running.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(running.logs())


@pytest.fixture
def alerting_system(
    broker: Mosquitto, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[System]:
    """An open gateway (every browser is an operator) with the rules above."""
    yield from _run(broker, tmp_path, request, None)


@pytest.fixture
def alerting_system_with_viewer(
    broker: Mosquitto, tmp_path: Path, token: str, request: pytest.FixtureRequest
) -> Iterator[System]:
    """The same rules behind a tokens file that holds ``token`` as a viewer."""
    yield from _run(broker, tmp_path, request, token, "viewer")


def badge(page: Page) -> None:
    """The header's link reads "Alerts, 1 firing" (the pending CPU alert does not count)."""
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Alerts, 1 firing")).to_be_visible(timeout=LONG_MS)
    expect(nav.locator("[data-firing]")).to_have_text("1")


def test_operator_sees_the_badge_and_acknowledges_the_alert(
    alerting_system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    open_dashboard(page, alerting_system.url)
    badge(page)
    # The fleet row carries the device's active alerts (firing and pending).
    expect(card(page)).to_have_attribute("data-alerts", "2", timeout=LONG_MS)
    expect(card(page).get_by_text("2 active alerts")).to_be_visible()

    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name=re.compile("Alerts")
    ).click()
    expect(page).to_have_url(re.compile("#/alerts$"))
    active = page.get_by_role("table", name="Active alerts")
    row = active.locator(f'[data-alert="{ALERT}"]')
    expect(row).to_contain_text("firing")
    expect(row).to_contain_text("room-warm")
    pending = active.locator(f'[data-alert="cpu-warm/{DEVICE_ID}/cpu"]')
    expect(pending).to_contain_text("pending")
    expect(pending.get_by_role("button")).to_have_count(0)  # only a firing alert is acknowledged
    # The firing transition was notified and stored: it is among the recent ones too.
    expect(
        page.get_by_role("table", name="Recent alerts").locator(f'[data-alert="{ALERT}"]')
    ).to_contain_text("firing")
    browser_page.screenshot("alerts-page")

    row.get_by_role("button", name=re.compile("Acknowledge room-warm")).click()
    # The gateway's `alert` event carries acknowledged_by ("open" on a gateway without tokens).
    expect(row.locator("[data-acknowledged-by]")).to_have_text("by open", timeout=LONG_MS)
    expect(row.get_by_role("button")).to_have_count(0)
    doc = alerting_system.get("api/alerts")
    acked = [a for a in doc["active"] if a["rule"] == "room-warm"]
    assert acked and acked[0]["acknowledged_by"] == "open" and acked[0]["state"] == "firing"
    badge(page)  # acknowledged, it still fires
    assert browser_page.console.errors() == []


def test_the_chart_marks_where_the_alert_fires(
    alerting_system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    open_dashboard(page, alerting_system.url, route=f"/devices/{DEVICE_ID}")
    chart = sensor(page, "temperature").locator("[data-chart]")
    # The recorder holds the first readings once the chart has its answer; the firing span opens
    # at the first reading above the threshold and runs to "now".
    expect(chart).to_have_attribute("data-alert-spans", "1", timeout=LONG_MS)
    expect(chart).to_have_attribute("aria-label", re.compile("1 alert marked"))
    # A point without a firing alert has no mark (the CPU one is only pending).
    expect(sensor(page, "cpu").locator("[data-chart]")).to_have_attribute(
        "data-alert-spans", "0", timeout=LONG_MS
    )
    browser_page.screenshot("device-alert-mark")
    assert browser_page.console.errors() == []


def test_viewer_sees_the_alert_but_no_acknowledge_button(
    alerting_system_with_viewer: System, browser_page: BrowserPage, token: str
) -> None:
    page = browser_page.page
    page.goto(alerting_system_with_viewer.url + "#/alerts")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Log in").click()
    wait_live(page)
    badge(page)
    table = page.get_by_role("table", name="Active alerts")
    expect(table.locator(f'[data-alert="{ALERT}"]')).to_contain_text("firing", timeout=LONG_MS)
    expect(table.get_by_role("columnheader", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Acknowledge"))).to_have_count(0)
    assert browser_page.console.errors(expected=UNAUTHORIZED) == []
