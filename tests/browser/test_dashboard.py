"""The dashboard in real headless Chromium against a real broker, gateway and simulated agent
(issue 5): values update live, a switch toggles the simulated relay and its new state comes back,
losing the broker shows the banner and getting it back clears it, a reload, a gateway restart and
a gateway that hangs resync without help, and both transports (SSE, WebSocket) behave the same. No test may leave an
error in the browser's console."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pigw.contract import Topics
from tests.browser.dashboard_page import (
    LONG_MS,
    BrowserPage,
    actuator,
    card,
    connection,
    open_dashboard,
    open_device_page,
    sensor,
    seq,
    wait_live,
    wait_points_above,
    wait_seq_above,
)
from tests.browser.system import DEVICE_ID, System
from tests.support.mqtt import recorder

pytestmark = pytest.mark.browser

TRANSPORTS = ["sse", "ws"]
#: What Chromium itself logs while the gateway it streams from is down (not the page's doing).
GATEWAY_DOWN = ("net::ERR_", "WebSocket connection to")
#: What Chromium logs for an API answer of 401 (the page then shows its log-in form).
UNAUTHORIZED = ("status of 401",)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_values_update_live(system: System, browser_page: BrowserPage, transport: str) -> None:
    page = browser_page.page
    open_dashboard(page, system.url, transport)

    # The fleet's row: name, state, last seen and the first values, live.
    first = seq(page)
    wait_seq_above(page, first)
    wait_seq_above(page, seq(page))
    expect(card(page).get_by_role("heading", name="Simulated Pi")).to_be_visible()
    expect(card(page).locator(".badge-online")).to_have_text("online")
    expect(card(page).locator(".last-seen")).to_contain_text("last seen")
    expect(sensor(page, "distance").locator(".point-value")).to_have_text(
        re.compile(r"^[\d.,-]+ \S+$")
    )
    expect(sensor(page, "soil").locator(".point-value")).to_contain_text("%")

    # The device page: every sensor, in the user's terms (a door reads Open/Closed, issue 15).
    card(page).get_by_role("link", name=re.compile("Simulated Pi")).click()
    wait_seq_above(page, seq(page))
    expect(sensor(page, "door").locator(".point-value")).to_have_text(
        re.compile(r"^(Open|Closed)$")
    )
    expect(sensor(page, "motion").locator(".point-value")).to_have_text(
        re.compile(r"^(Detected|Clear)$")
    )
    expect(sensor(page, "door")).to_contain_text("GPIO 17")
    # The chart starts from the history endpoint and grows with live readings.
    drawn = wait_points_above(page, 1)
    wait_points_above(page, drawn)
    assert page.get_by_label("Live updates").input_value() == transport
    assert browser_page.console.errors() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_switch_toggles_the_simulated_relay_and_the_state_comes_back(
    system: System, browser_page: BrowserPage, transport: str
) -> None:
    page = browser_page.page
    open_device_page(page, system.url, transport)
    switch = card(page).get_by_role("switch", name="Pump relay")
    expect(switch).to_be_enabled()
    before = switch.get_attribute("aria-checked")
    after = "false" if before == "true" else "true"

    switch.click()
    expect(actuator(page, "relay1").locator("[data-command]")).to_have_attribute(
        "data-command", "acknowledged"
    )
    expect(switch).to_have_attribute("aria-checked", after)
    device = system.device()
    assert device is not None
    assert str(device["actuators"]["relay1"]["value"]).lower() == after  # the gateway agrees

    # The keyboard works too: Space on the focused switch turns it back.
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_have_attribute("aria-checked", str(before))

    # The PWM slider: five steps of 1 % by keyboard settle into one command.
    slider = card(page).get_by_role("slider", name="Dimmable light")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(actuator(page, "pwm1").locator("output")).to_have_text("5 %")
    expect(actuator(page, "pwm1").locator("[data-command]")).to_have_attribute(
        "data-command", "acknowledged"
    )
    if transport == "sse":
        wait_points_above(page, 5)  # a sparkline worth a picture
        browser_page.screenshot("dashboard-desktop")
    assert browser_page.console.errors() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_broker_loss_shows_the_banner_and_its_return_clears_it(
    system: System, browser_page: BrowserPage, transport: str
) -> None:
    page = browser_page.page
    open_dashboard(page, system.url, transport)
    banner = page.locator('[data-banner="broker-lost"]')
    expect(banner).to_have_count(0)

    system.broker.stop()
    expect(banner).to_be_visible(timeout=LONG_MS)
    expect(banner).to_have_attribute("role", "alert")
    expect(connection(page)).to_have_attribute("data-connection", "broker-lost")
    if transport == "sse":
        browser_page.screenshot("dashboard-broker-lost")

    system.broker.start()
    expect(banner).to_have_count(0, timeout=LONG_MS)
    wait_live(page)
    wait_seq_above(page, seq(page))  # and values flow again, without a reload
    assert browser_page.console.errors() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reload_still_works(system: System, browser_page: BrowserPage, transport: str) -> None:
    page = browser_page.page
    open_dashboard(page, system.url, transport)
    before = wait_seq_above(page, seq(page))

    page.reload()
    wait_live(page)
    assert seq(page) >= before  # never older than what the page showed before
    wait_seq_above(page, seq(page))
    assert page.get_by_label("Live updates").input_value() == transport
    assert browser_page.console.errors() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_gateway_restart_resyncs_without_a_reload(
    system: System, browser_page: BrowserPage, transport: str
) -> None:
    page = browser_page.page
    open_dashboard(page, system.url, transport)
    page.evaluate("window.__sameDocument = true")  # a reload would lose it
    before = wait_seq_above(page, seq(page))

    assert system.gateway is not None
    system.gateway.stop()
    expect(connection(page)).to_have_attribute("data-connection", "reconnecting")
    expect(page.locator('[data-banner="reconnecting"]')).to_be_visible()

    system.start_gateway()  # a new epoch: the page's Last-Event-ID gets reset + snapshot
    wait_live(page)
    assert seq(page) >= before
    wait_seq_above(page, seq(page))
    assert page.evaluate("window.__sameDocument") is True
    assert browser_page.console.errors(expected=GATEWAY_DOWN) == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_gateway_that_hangs_with_its_connections_open_is_noticed(
    system: System, browser_page: BrowserPage, transport: str
) -> None:
    # A frozen gateway (as one whose host lost power) leaves the page's connection open and
    # silent: the browser reports nothing. The page's watchdog (?probe=2: after 2 quiet seconds)
    # finds the gateway unreachable and says so, then resyncs when it is back.
    page = browser_page.page
    page.goto(f"{system.url}?transport={transport}&probe=2")
    wait_live(page)
    wait_seq_above(page, seq(page))
    page.evaluate("window.__sameDocument = true")
    assert system.gateway is not None
    system.gateway.pause()
    try:
        expect(connection(page)).to_have_attribute(
            "data-connection", "reconnecting", timeout=LONG_MS
        )
        expect(page.locator('[data-banner="reconnecting"]')).to_be_visible()
    finally:
        system.gateway.resume()
    wait_live(page)
    wait_seq_above(page, seq(page))
    assert page.evaluate("window.__sameDocument") is True
    assert browser_page.console.errors(expected=GATEWAY_DOWN) == []


def test_transport_setting_switches_live_and_is_remembered(
    system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    open_dashboard(page, system.url)
    setting = page.get_by_label("Live updates")
    assert setting.input_value() == "sse"  # the default

    setting.select_option("ws")
    wait_live(page)
    wait_seq_above(page, seq(page))
    page.reload()
    wait_live(page)
    assert page.get_by_label("Live updates").input_value() == "ws"
    wait_seq_above(page, seq(page))
    assert browser_page.console.errors() == []


def test_phone_width(system: System, phone_page: BrowserPage) -> None:
    page = phone_page.page
    open_device_page(page, system.url)
    wait_seq_above(page, seq(page))
    # One column, nothing wider than the screen, every control reachable.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    expect(card(page).get_by_role("switch", name="Pump relay")).to_be_in_viewport(ratio=0.0)
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, input, select')].filter((el) =>
            !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim())
        ).map((el) => el.outerHTML)"""
    )
    assert unnamed == []
    wait_points_above(page, 5)
    phone_page.screenshot("dashboard-phone")
    # The fleet at phone width: one row per device, nothing wider than the screen.
    card(page).get_by_role("link", name="Fleet").click()
    wait_seq_above(page, seq(page))
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone_page.screenshot("fleet-phone")
    assert phone_page.console.errors() == []


def test_login_with_a_token_and_logout(
    system_with_tokens: System, browser_page: BrowserPage, token: str
) -> None:
    page = browser_page.page
    page.goto(system_with_tokens.url)
    field = page.get_by_label("Access token")
    expect(field).to_be_visible()
    browser_page.screenshot("dashboard-login")

    field.fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("That token was not accepted.")

    field.fill(token)
    page.get_by_role("button", name="Log in").click()
    wait_live(page)
    wait_seq_above(page, seq(page))  # the cookie carries the stream
    expect(page.get_by_text("browser (operator)")).to_be_visible()

    page.reload()  # the session survives a reload
    wait_live(page)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Access token")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Access token")).to_be_visible()
    assert browser_page.console.errors(expected=UNAUTHORIZED) == []


def test_viewer_token_sees_read_only_controls(
    system_with_viewer_token: System, browser_page: BrowserPage, token: str
) -> None:
    page = browser_page.page
    page.goto(system_with_viewer_token.url)
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Log in").click()
    wait_live(page)
    wait_seq_above(page, seq(page))
    expect(page.get_by_text("browser (viewer)")).to_be_visible()
    card(page).get_by_role("link", name=re.compile("Simulated Pi")).click()
    switch = card(page).get_by_role("switch", name="Pump relay")
    expect(switch).to_be_disabled()
    expect(switch).to_have_accessible_description(re.compile("viewer role"))
    expect(card(page).get_by_role("slider", name="Dimmable light")).to_be_disabled()
    assert browser_page.console.errors(expected=UNAUTHORIZED) == []


def test_a_device_removed_on_the_broker_leaves_the_page(
    system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    open_dashboard(page, system.url)
    assert system.agent is not None
    system.agent.stop()  # a clean stop: `offline`, and nothing republishes the meta
    expect(card(page)).to_have_attribute("data-online", "false")

    # An operator removes the device: an empty retained payload clears its meta (docs/gateway.md).
    with recorder(system.broker.host, system.broker.port) as mqtt:
        mqtt.publish(Topics().meta(DEVICE_ID), b"", retain=True)
    expect(card(page)).to_have_count(0)
    expect(page.get_by_text("No devices yet")).to_be_visible()
    wait_live(page)  # no reload, still connected
    assert browser_page.console.errors() == []
