"""``make demo``'s script (``scripts/demo.py``) as a user runs it: the broker, gateway and simulated
agent come up on the ports it prints, the dashboard and the agent's device answer, and Ctrl-C —
SIGINT to the terminal's whole foreground process group — stops everything, agent first, so the
agent still says ``offline`` through a running broker.

And it cannot be left half-running (issue 18): SIGHUP (its terminal closed) and SIGTERM stop it as
Ctrl-C does, and so does SIGINT when it was started in the background with SIGINT ignored; a second
demo on the same run folder refuses to start, or takes over when asked; a component that exits by
itself is reported and the rest is stopped."""

from __future__ import annotations

import json
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


class DemoRun:
    """``scripts/demo.py`` in a process group of its own, its output collected."""

    def __init__(
        self,
        run_dir: Path,
        mqtt_port: int,
        http_port: int,
        *,
        ignore_sigint: bool = False,
        **extra_env: str,
    ) -> None:
        self.http_port, self.mqtt_port = http_port, mqtt_port
        env = {
            **os.environ,
            "PIGW_DEMO_MQTT_PORT": str(mqtt_port),
            "PIGW_DEMO_HTTP_PORT": str(http_port),
            "PIGW_DEMO_RUN_DIR": str(run_dir),
            **extra_env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "scripts/demo.py"], cwd=REPO, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            # As a non-interactive shell starts a background job (`make demo &` in a script).
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,  # noqa: PLW1509
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(self.proc.stdout or []), daemon=True
        )
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_up(self) -> None:
        wait_until(lambda: "open the dashboard here" in self.output, 60, "the demo's URL")
        base = f"http://127.0.0.1:{self.http_port}"

        def online() -> bool:
            response = httpx.get(f"{base}/api/devices/demo-pi", timeout=5)
            return response.status_code == 200 and bool(response.json()["online"])

        wait_until(online, 60, "demo-pi online in the gateway")

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(10)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        self.reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stopped_all(self) -> bool:
        stops = [line.split()[-1] for line in self.lines if line.startswith("demo: stopping")]
        return (
            stops == ["agent", "gateway", "mosquitto"]
            and refused(self.http_port)
            and refused(self.mqtt_port)
        )


def running(pid: int) -> bool:
    """Whether ``pid`` runs (an exited orphan nobody reaped yet is a zombie: not running)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def children(run_dir: Path) -> dict[str, int]:
    return dict(json.loads((run_dir / "demo.pid").read_text())["children"])


@pytest.mark.parametrize(
    ("sig", "ignore_sigint"),
    [(signal.SIGHUP, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGHUP (terminal closed)", "SIGTERM", "SIGINT to a background job"],
)
def test_every_stop_signal_stops_everything_in_order(
    tmp_path: Path, sig: signal.Signals, ignore_sigint: bool
) -> None:
    demo = DemoRun(tmp_path, free_port(), free_port(), ignore_sigint=ignore_sigint)
    try:
        demo.wait_up()
        pids = children(tmp_path)
        with recorder("127.0.0.1", demo.mqtt_port, "pigw/demo-pi/status") as watch:
            os.killpg(demo.proc.pid, sig)
            assert demo.finish() == 0, demo.output
            assert [m.payload for m in watch.on("pigw/demo-pi/status")][-1] == b"offline"
    finally:
        demo.close()
    assert demo.stopped_all(), demo.output
    for name, pid in pids.items():
        assert not running(pid), f"{name} (pid {pid}) is still running"
    assert not (tmp_path / "demo.pid").exists()


def test_a_second_demo_refuses_to_start_or_takes_over_when_asked(tmp_path: Path) -> None:
    first = DemoRun(tmp_path, free_port(), free_port())
    second: DemoRun | None = None
    third: DemoRun | None = None
    try:
        first.wait_up()
        second = DemoRun(tmp_path, free_port(), free_port())
        assert second.finish() == 1
        assert "another demo is running" in second.output
        assert f"pid {first.proc.pid}" in second.output
        assert "PIGW_DEMO_TAKE_OVER=1" in second.output
        assert first.proc.poll() is None, "the refused demo must not disturb the running one"
        assert "demo: broker" not in second.output  # it started nothing

        third = DemoRun(tmp_path, free_port(), free_port(), PIGW_DEMO_TAKE_OVER="1")
        assert first.finish() == 0, first.output  # stopped by the take-over, like Ctrl-C
        third.wait_up()
        assert "taking over" in third.output
        assert first.stopped_all(), first.output
        assert json.loads((tmp_path / "demo.pid").read_text())["pid"] == third.proc.pid
    finally:
        for demo in (third, second, first):
            if demo is not None:
                demo.close()


def test_a_component_that_exits_is_reported_and_the_rest_is_stopped(tmp_path: Path) -> None:
    demo = DemoRun(tmp_path, free_port(), free_port())
    try:
        demo.wait_up()
        os.kill(children(tmp_path)["agent"], signal.SIGKILL)  # the agent dies by itself
        assert demo.finish() == 1
    finally:
        demo.close()
    assert "demo: agent exited by itself" in demo.output, demo.output
    stops = [line.split()[-1] for line in demo.lines if line.startswith("demo: stopping")]
    assert stops == ["gateway", "mosquitto"], demo.output
    assert refused(demo.http_port) and refused(demo.mqtt_port)


def test_the_leftovers_of_a_killed_demo_are_stopped_by_the_next(tmp_path: Path) -> None:
    first = DemoRun(tmp_path, free_port(), free_port())
    try:
        first.wait_up()
        pids = children(tmp_path)
        os.killpg(first.proc.pid, signal.SIGKILL)  # no chance to stop anything itself
        first.finish()
    finally:
        first.close()
    # The gateway and the agent get SIGTERM when the demo dies (PDEATHSIG) and stop by themselves;
    # Mosquitto changes its user when started as root, which clears PDEATHSIG, so it may be left.
    second = DemoRun(tmp_path, first.mqtt_port, first.http_port)
    try:
        second.wait_up()  # on the same ports: nothing of the first demo holds them any more
        for name, pid in pids.items():
            assert not running(pid), f"the first demo's {name} (pid {pid}) is still running"
        assert "another demo is running" not in second.output
        if "a previous demo left running" in second.output:
            assert "stopping the mosquitto" in second.output, second.output
    finally:
        second.close()
