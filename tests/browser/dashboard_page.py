"""What the browser tests look at on the dashboard, in one place: a change of markup is one edit.
Also how a page is opened (Chromium flags, viewports) and what it logged."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, ViewportSize

from tests.browser.system import DEVICE_ID
from tests.support.processes import REPO

#: The real binary: /usr/bin/chromium is a shell wrapper that Playwright cannot drive.
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: ``PIGW_UPDATE_SCREENSHOTS=1 pytest -m browser`` refreshes the pictures in the docs.
SCREENSHOTS = REPO / "docs" / "screenshots"
#: The simulated board's fastest numeric sensor (``interval = 1``): proof that values move.
LIVE_SENSOR = "distance"
#: Generous: the machine is shared, and reconnects wait for backoffs on both sides.
LONG_MS = 60_000


@dataclass
class Console:
    """Everything the page logged: console messages (type, text) and uncaught page errors."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def errors(self, expected: tuple[str, ...] = ()) -> list[str]:
        """Page errors and console errors/warnings, minus those containing an ``expected`` text
        (a test that stops the gateway expects the browser to report the refused connection)."""
        logged = [text for kind, text in self.messages if kind in {"error", "warning", "assert"}]
        return [
            text
            for text in [*self.page_errors, *logged]
            if not any(allowed in text for allowed in expected)
        ]


@dataclass
class BrowserPage:
    page: Page
    console: Console
    shots: Path

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot in the test's folder, and in docs/ when asked to."""
        path = self.shots / f"{name}.png"
        # From the top, nothing focused: a full-page shot of a scrolled page repeats the sticky
        # header mid-page.
        self.page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)")
        self.page.screenshot(path=path, full_page=True)
        if os.environ.get("PIGW_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)
        return path


def open_page(browser: Browser, shots: Path, viewport: ViewportSize) -> BrowserPage:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(LONG_MS)
    console = Console()
    page.on("console", lambda message: console.messages.append((message.type, message.text)))
    page.on("pageerror", lambda error: console.page_errors.append(str(error)))
    return BrowserPage(page, console, shots)


def connection(page: Page) -> Locator:
    return page.locator("[data-connection]")


def card(page: Page) -> Locator:
    """Our device: its row on the fleet page, or the whole device page (one at a time)."""
    return page.locator(f'[data-device="{DEVICE_ID}"]')


def sensor(page: Page, sensor_id: str) -> Locator:
    return card(page).locator(f'[data-sensor="{sensor_id}"]')


def actuator(page: Page, actuator_id: str) -> Locator:
    return card(page).locator(f'[data-actuator="{actuator_id}"]')


def seq(page: Page, sensor_id: str = LIVE_SENSOR) -> int:
    """The seq of the value the page shows for a sensor (-1 before the first one)."""
    value = sensor(page, sensor_id).get_attribute("data-seq")
    return int(value) if value else -1


def wait_seq_above(page: Page, floor: int, sensor_id: str = LIVE_SENSOR) -> int:
    """Wait until the page shows a newer reading than ``floor``; return its seq."""
    selector = f'[data-device="{DEVICE_ID}"] [data-sensor="{sensor_id}"]'
    page.wait_for_function(
        "([selector, floor]) => Number(document.querySelector(selector)?.dataset.seq || -1) > floor",
        arg=[selector, floor],
        timeout=LONG_MS,
    )
    return seq(page, sensor_id)


def points(page: Page, sensor_id: str = LIVE_SENSOR) -> int:
    """How many readings the sensor's chart on the device page draws (0 without a chart)."""
    chart = sensor(page, sensor_id).locator("[data-chart]")
    return int(chart.get_attribute("data-points") or 0) if chart.count() else 0


def wait_points_above(page: Page, floor: int, sensor_id: str = LIVE_SENSOR) -> int:
    """Wait until the sensor's chart draws more than ``floor`` readings; return how many."""
    selector = f'[data-device="{DEVICE_ID}"] [data-sensor="{sensor_id}"] [data-chart]'
    page.wait_for_function(
        "([selector, floor]) => Number(document.querySelector(selector)?.dataset.points || 0) > floor",
        arg=[selector, floor],
        timeout=LONG_MS,
    )
    return points(page, sensor_id)


def wait_live(page: Page, timeout: float = LONG_MS) -> None:
    page.locator('[data-connection="live"]').wait_for(timeout=timeout)


def address(url: str, transport: str | None = None, route: str = "/") -> str:
    """The dashboard's address: its routes live in the fragment (``#/devices/sim-pi``)."""
    query = "" if transport is None else f"?transport={transport}"
    return f"{url}{query}#{route}"


def open_dashboard(page: Page, url: str, transport: str | None = None, route: str = "/") -> None:
    """Load the page (the fleet, or ``route``) and wait until it is live and shows our device's
    values."""
    page.goto(address(url, transport, route))
    wait_live(page)
    wait_seq_above(page, -1)


def open_device_page(page: Page, url: str, transport: str | None = None) -> None:
    """Load our device's page directly (a deep link) and wait for its live values."""
    open_dashboard(page, url, transport, f"/devices/{DEVICE_ID}")
