"""The built wheel, installed like a user installs it (issue 18, "One wheel").

``python -m build`` makes the sdist and the wheel from this checkout (the wheel from the sdist, as
``make dist`` does); the wheel, not the editable checkout, goes into a fresh virtual environment
outside the repository. From there: both commands' ``--help`` and ``--version``, then a real
Mosquitto, the installed ``pigw-gateway`` and a simulated ``pigw-agent``; the dashboard comes from
the wheel's package data (no Node involved) and a reading arrives over SSE.

pip installs the dependencies into the fresh venv from the configured indexes (``PIP_FIND_LINKS``,
PyPI) and reuses pip's cache, so a second run takes seconds, not minutes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.support import SseClient, readings
from tests.support.broker import Mosquitto
from tests.support.ports import free_port
from tests.support.processes import REPO, ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

DASHBOARD = REPO / "gateway" / "web" / "dist" / "index.html"


def run(argv: list[str], cwd: Path, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel) freshly built from this checkout."""
    assert DASHBOARD.is_file(), "the dashboard is not built: run `make web` (make dist does)"
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], out)
    [sdist] = out.glob("pigw-*.tar.gz")
    [wheel] = out.glob("pigw-*-py3-none-any.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def installed(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) outside the repo with the wheel installed; its bin."""
    _, wheel = built
    home = tmp_path_factory.mktemp("install")
    venv = home / "venv"
    run([sys.executable, "-m", "venv", str(venv)], home)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, f"{wheel}[agent,gateway]"], home)
    return venv / "bin"


def version_of(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def test_the_wheel_carries_the_dashboard_and_the_metadata(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"pigw-{version_of(wheel)}.dist-info/METADATA").decode()
    assert "gateway/web/dist/index.html" in names
    assert any(re.fullmatch(r"gateway/web/dist/assets/index-[\w-]+\.js", n) for n in names)
    assert not any("node_modules" in n or n.startswith("gateway/web/src") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "scripts/")) for n in names)
    for field in ("License-Expression: MIT", "Classifier: ", "Project-URL: "):
        assert field in metadata, field
    for extra in ("agent", "gateway", "postgres"):
        assert f"Provides-Extra: {extra}" in metadata, extra
    assert sdist.name == f"pigw-{version_of(wheel)}.tar.gz"


def test_both_commands_answer_help_and_version_from_the_installed_wheel(
    built: tuple[Path, Path], installed: Path, tmp_path: Path
) -> None:
    version = version_of(built[1])
    for command in ("pigw-agent", "pigw-gateway"):
        assert f"usage: {command}" in run([str(installed / command), "--help"], tmp_path)
        assert run([str(installed / command), "--version"], tmp_path).split() == [command, version]
    where = run(
        [str(installed / "python"), "-c", "import gateway, device_agent; print(gateway.__file__)"],
        tmp_path,
    )
    assert Path(where.strip()).is_relative_to(installed.parent), "imported from the checkout"


@pytest.fixture
def system(installed: Path, broker: Mosquitto, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The installed gateway and a simulated agent against the test broker: (gateway URL, log)."""
    port = free_port()
    env = {"PYTHONPATH": ""}
    gateway = ManagedProcess(
        [
            str(installed / "pigw-gateway"), "--mqtt-url", broker.url, "--port", str(port),
            "--gateway-id", "wheel",
        ],
        tmp_path / "gateway.log", env=env, cwd=tmp_path,
    ).start()  # fmt: skip
    agent = ManagedProcess(
        [
            str(installed / "pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--device-id", "wheel-pi", "--outbox", str(tmp_path / "outbox.sqlite"),
        ],
        tmp_path / "agent.log", env=env, cwd=tmp_path,
    ).start()  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert gateway.running, gateway.tail()
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 30, "the installed gateway to answer /healthz")
        yield url, tmp_path
    finally:
        agent.stop(20)
        gateway.stop(20)


def test_the_installed_gateway_serves_the_dashboard_and_streams_a_reading(
    system: tuple[str, Path], built: tuple[Path, Path]
) -> None:
    url, _ = system
    page = httpx.get(url + "/", timeout=10)
    assert page.status_code == 200
    assert '<div id="root"></div>' in page.text
    script = re.search(r'src="\.?/?(assets/index-[\w-]+\.js)"', page.text)
    assert script is not None, page.text
    asset = httpx.get(f"{url}/{script.group(1)}", timeout=10)
    assert asset.status_code == 200 and len(asset.content) > 10_000
    client = SseClient(url + "/api/events?device=wheel-pi").start()
    try:
        found = client.wait_for(lambda ev: readings(ev, "wheel-pi"), 60, "a reading over SSE")
    finally:
        client.close()
    reading = found[0]
    assert isinstance(reading.data["seq"], int)
    meta = httpx.get(url + "/api/devices/wheel-pi", timeout=10).json()["meta"]
    assert meta["sw"] == version_of(built[1])  # the agent's sw is the installed version
