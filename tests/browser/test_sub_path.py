"""The same dashboard build works behind a reverse proxy that mounts the gateway under a sub-path
(issue 5: relative asset paths and API calls). A real nginx serves ``/pigw/`` from the gateway's
``/``, configured as ``docs/dashboard.md`` ("Behind a reverse proxy") tells operators to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.dashboard_page import (
    BrowserPage,
    actuator,
    card,
    open_dashboard,
    open_device_page,
    seq,
    wait_seq_above,
)
from tests.browser.system import System
from tests.support.nginx import start_nginx
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.browser


def proxied(port: int, upstream: int) -> str:
    """The ``http {}`` content: the gateway at ``/pigw/``, as the README's sub-path example."""
    return f"""    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_buffering off;
        proxy_read_timeout 1h;
        location /pigw/ {{ proxy_pass http://127.0.0.1:{upstream}/; }}
    }}"""


@pytest.fixture
def sub_path_url(system: System, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    nginx = start_nginx(tmp_path, proxied(port, system.port))
    try:
        wait_for_port(port, 30)
        yield f"http://127.0.0.1:{port}/pigw/"
    finally:
        nginx.stop()


@pytest.mark.parametrize("transport", ["sse", "ws"])
def test_the_dashboard_works_under_a_sub_path(
    sub_path_url: str, browser_page: BrowserPage, transport: str
) -> None:
    page = browser_page.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_device_page(page, sub_path_url, transport)  # a deep link, through the proxy
    wait_seq_above(page, seq(page))

    switch = card(page).get_by_role("switch", name="Status LED")
    before = switch.get_attribute("aria-checked")
    switch.click()
    expect(actuator(page, "led1").locator("[data-command]")).to_have_attribute(
        "data-command", "acknowledged"
    )
    expect(switch).not_to_have_attribute("aria-checked", str(before))
    # Every request the page made stayed under the sub-path: nothing escaped to the proxy's root.
    origin = sub_path_url.removesuffix("pigw/")
    assert requested
    assert [url for url in requested if not url.startswith(sub_path_url)] == []
    assert all(url.startswith(origin) for url in requested)
    assert browser_page.console.errors() == []


def test_the_fleet_and_back_forward_work_under_a_sub_path(
    sub_path_url: str, browser_page: BrowserPage
) -> None:
    page = browser_page.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_dashboard(page, sub_path_url)
    card(page).get_by_role("link").first.click()
    expect(card(page).get_by_role("switch", name="Pump relay")).to_be_visible()
    page.go_back()
    expect(page.locator(".fleet-row")).to_have_count(1)
    assert page.url.startswith(sub_path_url)
    page.go_forward()
    expect(card(page).get_by_role("switch", name="Pump relay")).to_be_visible()
    assert [url for url in requested if not url.startswith(sub_path_url)] == []
    assert browser_page.console.errors() == []
