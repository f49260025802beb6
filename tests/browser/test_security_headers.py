"""The security headers in real Chromium (issue 17, item 3): the dashboard works under its CSP
(live values over both transports, no violation in the console), cannot be framed by another
site, and the API documentation page's own scripts are not blocked by its policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.dashboard_page import BrowserPage, open_dashboard, wait_seq_above
from tests.browser.system import System

pytestmark = pytest.mark.browser

CSP_VIOLATION = "Content Security Policy"


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_the_dashboard_works_under_its_content_security_policy(
    system: System, browser_page: BrowserPage, transport: str
) -> None:
    page = browser_page.page
    violations: list[str] = []
    page.on("console", lambda m: CSP_VIOLATION in m.text and violations.append(m.text))
    response = page.goto(f"{system.url}?transport={transport}")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    open_dashboard(page, system.url, transport)
    wait_seq_above(page, -1)
    assert violations == []
    assert browser_page.console.errors() == []


def test_another_site_cannot_frame_the_dashboard(system: System, chromium: Browser) -> None:
    # Issue 17 (3): without X-Frame-Options / frame-ancestors, any page could frame the dashboard
    # and trick a click on a switch (click-jacking).
    context = chromium.new_context()
    try:
        page = context.new_page()
        with page.expect_console_message(
            lambda m: "frame" in m.text and ("X-Frame-Options" in m.text or "ancestor" in m.text),
            timeout=30_000,
        ):
            page.set_content(f'<iframe id="f" src="{system.url}"></iframe>')
        framed = [frame for frame in page.frames if frame is not page.main_frame]
        assert framed and all(frame.locator("[data-connection]").count() == 0 for frame in framed)
    finally:
        context.close()


def test_the_api_docs_page_runs_its_own_script_under_its_policy(
    system: System, chromium: Browser
) -> None:
    context = chromium.new_context()
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(m.text))
        response = page.goto(f"{system.url}docs")
        assert response is not None and response.status == 200
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # Swagger UI (served by the gateway itself) renders the operations: its scripts ran.
        page.locator(".opblock").first.wait_for(timeout=30_000)
        assert not [m for m in messages if CSP_VIOLATION in m]
    finally:
        context.close()
