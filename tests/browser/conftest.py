"""Fixtures of the browser tier: real headless Chromium against a real system.

Every test gets its own Mosquitto (the shared ``broker`` fixture), a real ``pigw-gateway`` on a free
port and a real ``pigw-agent --simulate`` (``system.py``), and drives Debian's Chromium through the
``playwright`` wheel with ``executable_path`` (no browser is ever downloaded). Console messages and
page errors are collected so that every test asserts the page logged no error.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.dashboard_page import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    BrowserPage,
    open_page,
)
from tests.browser.system import System, start_system
from tests.support.broker import Mosquitto


def _run(
    broker: Mosquitto,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    token: str | None,
    role: str = "operator",
) -> Iterator[System]:
    running = start_system(broker, tmp_path, token, role)
    try:
        yield running
    finally:
        running.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(running.logs())


@pytest.fixture
def system(broker: Mosquitto, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    """An open gateway (loopback, no tokens file), as ``make demo`` runs it."""
    yield from _run(broker, tmp_path, request, None)


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def system_with_tokens(
    broker: Mosquitto, tmp_path: Path, token: str, request: pytest.FixtureRequest
) -> Iterator[System]:
    """A gateway with a tokens file that holds ``token`` as an operator."""
    yield from _run(broker, tmp_path, request, token)


@pytest.fixture
def system_with_viewer_token(
    broker: Mosquitto, tmp_path: Path, token: str, request: pytest.FixtureRequest
) -> Iterator[System]:
    """A gateway with a tokens file that holds ``token`` as a viewer (no commands)."""
    yield from _run(broker, tmp_path, request, token, "viewer")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # One browser per test file (contexts isolate the tests); module scope closes it before
    # another tier's event loops run in this process.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Browser, tmp_path: Path) -> Iterator[BrowserPage]:
    opened = open_page(chromium, tmp_path, DESKTOP)
    try:
        yield opened
    finally:
        opened.page.context.close()


@pytest.fixture
def phone_page(chromium: Browser, tmp_path: Path) -> Iterator[BrowserPage]:
    opened = open_page(chromium, tmp_path, PHONE)
    try:
        yield opened
    finally:
        opened.page.context.close()
