"""Dashboard benchmark (issue 15): ``.venv/bin/python -m bench.dashboard`` (needs ``make web``).

1. **Fleet at scale**: the fleet page with N devices (default 1,000) while readings arrive at R/s
   (default 1,000) over SSE from a fake gateway (``fake_gateway.py``), traced in Chromium through
   the DevTools protocol: the main thread's busy share and its longest task over a window (goals:
   ≤ 25 % busy, no task over 50 ms). Baseline in the same run: the same page with no readings.
2. **Device page**: four sensors' charts; the time from navigation to every chart drawn (24 h,
   1-minute buckets), then from a click on "30d" to every chart redrawn (1-hour buckets), and the
   bytes transferred for each (goal ≤ 1 s including the history requests). The history answers
   are synthesized in the recorder's shape (the recorder's own query time is not in this figure).

Prints a table; ``--json`` writes the figures. The machine is shared: run it once or twice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from bench.dashboard.fake_gateway import SENSORS, create_app, device_id
from bench.dashboard.trace import main_thread
from tests.browser.dashboard_page import CHROMIUM, CHROMIUM_ARGS
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import REPO

DIST = REPO / "gateway" / "web" / "dist"
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def serve(devices: int, rate: float) -> tuple[uvicorn.Server, str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(DIST, devices, rate), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    wait_for_port(port, 30)
    return server, f"http://127.0.0.1:{port}/"


def fleet(browser: Browser, devices: int, rate: float, window_s: float) -> dict[str, Any]:
    """Two windows on the same page: one untraced (the busy share from the DevTools protocol's
    ``TaskDuration``, tasks over 50 ms from the Long Tasks API, frames), one traced (every task's
    duration, so the longest one even below 50 ms; tracing itself adds some cost)."""
    server, url = serve(devices, rate)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(LONG_TASKS)
        page.goto(url + "#/")
        page.locator('[data-connection="live"]').wait_for(timeout=60_000)
        page.locator(".fleet-row").first.wait_for(timeout=60_000)
        time.sleep(3)  # past the first snapshot's render
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        frames_before = _frames(page)
        page.evaluate("window.__longTasks.length = 0")
        before = _task_duration(cdp)
        started = time.monotonic()
        time.sleep(window_s)
        after = _task_duration(cdp)
        elapsed = time.monotonic() - started
        frames = _frames(page) - frames_before
        long_tasks: list[float] = page.evaluate("window.__longTasks.slice()")
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        time.sleep(window_s)
        thread = main_thread(browser.stop_tracing())
        return {
            "devices": devices,
            "readings_per_s": rate,
            "rows_in_dom": page.locator(".fleet-row").count(),
            "busy_share": (after - before) / elapsed,
            "long_tasks": len(long_tasks),
            "longest_long_task_ms": max(long_tasks, default=0.0),
            "fps": frames / elapsed,
            "traced_busy_share": thread.busy_share,
            "traced_longest_task_ms": thread.longest_ms,
        }
    finally:
        context.close()
        server.should_exit = True


#: Every task over 50 ms (the Long Tasks API's threshold), collected from the page's start.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""


def _task_duration(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))


def _frames(page: Page) -> int:
    """Animation frames since the counter started (it starts on first call)."""
    return int(
        page.evaluate(
            """() => {
              if (window.__frames === undefined) {
                window.__frames = 0;
                const count = () => { window.__frames++; requestAnimationFrame(count); };
                requestAnimationFrame(count);
              }
              return window.__frames;
            }"""
        )
    )


DRAWN = """([count, bucketed, minimum]) => {
  const charts = [...document.querySelectorAll('[data-chart]')];
  return charts.length >= count && charts.every((c) =>
    Number(c.dataset.points || 0) >= minimum && (bucketed === null || c.dataset.bucketed === bucketed));
}"""


def device_page(browser: Browser) -> dict[str, Any]:
    server, url = serve(10, 0)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: dict[str, float] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        charts = len(SENSORS)
        page.goto(url + f"#/devices/{device_id(1)}")
        page.wait_for_function(DRAWN, arg=[charts, "true", 1000], timeout=60_000, polling="raf")
        first_ms = page.evaluate("performance.now()")
        first_bytes = sum(received.values())
        history_24h = sum(v for k, v in received.items() if "/history" in urls.get(k, ""))
        received.clear()
        start = page.evaluate("performance.now()")
        page.locator('[data-range="30d"]').click()
        page.wait_for_function(DRAWN, arg=[charts, "true", 700], timeout=60_000, polling="raf")
        month_ms = page.evaluate("performance.now()") - start
        time.sleep(0.5)  # let the last loadingFinished events arrive
        month_bytes = sum(v for k, v in received.items() if "/history" in urls.get(k, ""))
        return {
            "charts": charts,
            "navigation_to_24h_drawn_ms": first_ms,
            "bytes_on_load": first_bytes,
            "history_bytes_24h": history_24h,
            "click_to_30d_drawn_ms": month_ms,
            "history_bytes_30d": month_bytes,
        }
    finally:
        context.close()
        server.should_exit = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="readings/s over the fleet")
    parser.add_argument("--window", type=float, default=10.0, help="seconds traced per case")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not (DIST / "index.html").is_file():
        print("the dashboard is not built: run `make web` first", file=sys.stderr)
        return 2
    results: dict[str, list[dict[str, Any]]] = {"idle": [], "loaded": [], "device": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            for _ in range(args.runs):
                results["idle"].append(fleet(browser, args.devices, 0, args.window))
                results["loaded"].append(fleet(browser, args.devices, args.rate, args.window))
                results["device"].append(device_page(browser))
        finally:
            browser.close()
    summary = {case: _medians(runs) for case, runs in results.items()}
    for case in ("idle", "loaded"):
        s = summary[case]
        print(
            f"fleet {case:6} {s['devices']:.0f} devices x {s['readings_per_s']:.0f}/s: "
            f"busy {s['busy_share']:.1%}, tasks > 50 ms {s['long_tasks']:.0f} (longest "
            f"{s['longest_long_task_ms']:.0f} ms), {s['fps']:.0f} fps, "
            f"{s['rows_in_dom']:.0f} rows in the DOM; traced: busy {s['traced_busy_share']:.1%}, "
            f"longest task {s['traced_longest_task_ms']:.1f} ms"
        )
    d = summary["device"]
    print(
        f"device page, {d['charts']:.0f} charts: navigation -> 24 h drawn {d['navigation_to_24h_drawn_ms']:.0f} ms "
        f"({d['bytes_on_load'] / 1024:.0f} KiB in all, history {d['history_bytes_24h'] / 1024:.0f} KiB); "
        f"click -> 30 d drawn {d['click_to_30d_drawn_ms']:.0f} ms (history {d['history_bytes_30d'] / 1024:.0f} KiB)"
    )
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "medians": summary}, indent=2))
    return 0


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(float(run[key]) for run in runs) for key in runs[0]}


if __name__ == "__main__":
    raise SystemExit(main())
