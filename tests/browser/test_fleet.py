"""The fleet view and the routes in real Chromium (issue 15): totals that filter when clicked,
problems first and in colour, search by name or id, names that collide shown with their id, a
deep link straight to a device page, and back/forward between pages without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.dashboard_page import (
    BrowserPage,
    address,
    card,
    open_dashboard,
    seq,
    wait_live,
    wait_seq_above,
)
from tests.browser.fleet_devices import announce
from tests.browser.system import DEVICE_ID, System
from tests.support.mqtt import recorder

pytestmark = pytest.mark.browser


def rows(page: Page) -> list[str]:
    """The device ids of the fleet's rows, top to bottom."""
    return list(page.locator(".fleet-row").evaluate_all("rows => rows.map(r => r.dataset.device)"))


def test_totals_filter_search_and_problems_first(system: System, browser_page: BrowserPage) -> None:
    with recorder(system.broker.host, system.broker.port) as mqtt:
        announce(mqtt, "greenhouse-1", "Greenhouse")
        announce(mqtt, "greenhouse-2", "Greenhouse")
        announce(mqtt, "barn", "Barn", online=False)
    page = browser_page.page
    open_dashboard(page, system.url)
    expect(page.locator(".fleet-row")).to_have_count(4)

    # Problems first, in colour, with since when; the header is not green.
    assert rows(page)[0] == "barn"
    barn = page.locator('[data-device="barn"]')
    expect(barn).to_have_attribute("data-health", "offline")
    expect(barn.locator(".badge")).to_have_text("offline")
    expect(page.locator("header.topbar")).to_have_attribute("data-fleet-health", "offline")
    # Names that collide carry the id, in the heading (the accessible name) too.
    expect(page.get_by_role("heading", name="Greenhouse (greenhouse-1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Greenhouse (greenhouse-2)")).to_be_visible()
    browser_page.screenshot("fleet-desktop")

    # The header's counts filter when clicked, and a second click shows every device again.
    offline = page.locator('[data-total="offline"]')
    expect(offline).to_have_text("1 offline")
    expect(page.locator('[data-total="online"]')).to_have_text("3 online")
    offline.click()
    expect(offline).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".fleet-row")).to_have_count(1)
    assert rows(page) == ["barn"]
    offline.click()
    expect(page.locator(".fleet-row")).to_have_count(4)

    # Search by name or by id, and the state filter.
    search = page.get_by_label("Search")
    search.fill("green")
    expect(page.locator(".fleet-row")).to_have_count(2)
    search.fill(DEVICE_ID)
    expect(page.locator(".fleet-row")).to_have_count(1)
    search.fill("")
    page.get_by_label("State", exact=True).select_option("online")
    expect(page.locator(".fleet-row")).to_have_count(3)
    page.get_by_label("Sort").select_option("name")
    assert rows(page) == ["greenhouse-1", "greenhouse-2", DEVICE_ID]
    assert browser_page.console.errors() == []


def test_a_deep_link_opens_the_device_page_and_back_forward_work(
    system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    page.goto(address(system.url, route=f"/devices/{DEVICE_ID}"))
    wait_live(page)
    wait_seq_above(page, -1)
    expect(page.get_by_role("heading", level=2, name=re.compile("Simulated Pi"))).to_be_visible()
    expect(card(page).get_by_role("switch", name="Pump relay")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    card(page).get_by_role("link", name="Fleet").click()
    expect(page.locator(".fleet-row")).to_have_count(1)
    page.go_back()
    expect(card(page).get_by_role("switch", name="Pump relay")).to_be_visible()
    assert page.url.endswith(f"#/devices/{DEVICE_ID}")
    page.go_forward()
    expect(page.locator(".fleet-row")).to_have_count(1)
    wait_seq_above(page, seq(page))  # still live, and never reloaded
    assert page.evaluate("window.__sameDocument") is True

    page.goto(address(system.url, route="/devices/no-such-device"))
    expect(page.get_by_text("The gateway does not know this device")).to_be_visible()
    assert browser_page.console.errors() == []
