"""``/docs`` works without internet (issue 15): Swagger UI comes from the gateway itself, so a
browser whose every request off 127.0.0.1 fails still shows the API."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect

from tests.browser.dashboard_page import BrowserPage
from tests.browser.system import System

pytestmark = pytest.mark.browser


def test_the_api_docs_load_with_no_outside_network(
    system: System, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(system.url + "docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("pigw gateway")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert outside == []
    assert browser_page.console.errors() == []
