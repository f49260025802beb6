"""``make demo``'s script (``scripts/demo.py``) as a user runs it: the broker, gateway and simulated
agent come up on the ports it prints, the dashboard and the agent's device answer, and Ctrl-C —
SIGINT to the terminal's whole foreground process group — stops everything, agent first, so the
agent still says ``offline`` through a running broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.support.mqtt import recorder
from tests.support.ports import free_port
from tests.support.processes import REPO
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_demo_comes_up_and_ctrl_c_stops_it_in_order(tmp_path: Path) -> None:
    mqtt_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "PIGW_DEMO_MQTT_PORT": str(mqtt_port),
        "PIGW_DEMO_HTTP_PORT": str(http_port),
        "PIGW_DEMO_RUN_DIR": str(tmp_path),
    }
    # A process group of its own stands in for the terminal's foreground group.
    demo = subprocess.Popen(
        [sys.executable, "scripts/demo.py"], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout or []), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("open the dashboard here" in line for line in lines), 60, "the URL")
        output = "".join(lines)
        assert f"http://127.0.0.1:{http_port}/" in output
        assert f"mqtt://127.0.0.1:{mqtt_port}" in output
        with recorder("127.0.0.1", mqtt_port, "pigw/demo-pi/status") as watch:
            base = f"http://127.0.0.1:{http_port}"
            wait_until(
                lambda: (
                    httpx.get(f"{base}/api/devices/demo-pi", timeout=5).status_code == 200
                    and httpx.get(f"{base}/api/devices/demo-pi", timeout=5).json()["online"]
                ),
                60,
                "demo-pi online in the gateway",
            )
            page = httpx.get(base + "/", timeout=5)
            assert page.status_code == 200 and "<html" in page.text.lower()

            os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
            assert demo.wait(60) == 0
            assert [m.payload for m in watch.on("pigw/demo-pi/status")][-1] == b"offline"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(30)
        reader.join(10)
        if demo.stdout is not None:
            demo.stdout.close()
    output = "".join(lines)
    assert "exited" not in output, output
    stops = [line.split()[-1] for line in lines if line.startswith("demo: stopping")]
    assert stops == ["agent", "gateway", "mosquitto"], output
    assert refused(http_port) and refused(mqtt_port)
