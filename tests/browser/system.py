"""A real pigw for the browser tests: Mosquitto (the shared fixture), ``pigw-gateway`` on a free port
and ``pigw-agent --simulate``, all real processes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.broker import Mosquitto
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import REPO, ManagedProcess, venv_command
from tests.support.waiting import wait_until

DEVICE_ID = "sim-pi"
DASHBOARD_BUILD = REPO / "gateway" / "web" / "dist" / "index.html"


@dataclass
class System:
    """Broker + gateway + simulated agent, all real processes."""

    broker: Mosquitto
    workdir: Path
    tokens_file: Path | None = None
    alerts_file: Path | None = None
    port: int = field(default_factory=free_port)
    gateway: ManagedProcess | None = None
    agent: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start_gateway(self) -> None:
        argv = [
            venv_command("pigw-gateway"),
            "--mqtt-url",
            self.broker.url,
            "--port",
            str(self.port),
            "--gateway-id",
            f"browser-{self.port}",
        ]
        if self.tokens_file is not None:
            argv += ["--tokens-file", str(self.tokens_file)]
        if self.alerts_file is not None:
            argv += ["--alerts-file", str(self.alerts_file)]
        if self.gateway is None:
            self.gateway = ManagedProcess(argv, self.workdir / "gateway.log")
        self.gateway.start()
        wait_for_port(self.port, timeout=30)
        wait_until(lambda: self.status("readyz") == 200, 30, "the gateway to be ready")

    def start_agent(self) -> None:
        self.agent = ManagedProcess(
            [
                venv_command("pigw-agent"),
                "--simulate",
                "--mqtt-url",
                self.broker.url,
                "--device-id",
                DEVICE_ID,
                "--outbox",
                str(self.workdir / "outbox.sqlite"),
            ],
            self.workdir / "agent.log",
        ).start()

    def status(self, path: str) -> int:
        """The HTTP status of ``GET /<path>`` without credentials (0 while nothing answers)."""
        try:
            return httpx.get(self.url + path, timeout=5).status_code
        except httpx.HTTPError:
            return 0

    def get(self, path: str, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = httpx.get(self.url + path, headers=headers, timeout=5)
        response.raise_for_status()
        return response.json()

    def device(self, token: str | None = None) -> dict[str, Any] | None:
        """Our simulated device as ``GET /api/devices`` shows it, once it is online."""
        for device in self.get("api/devices", token)["devices"]:
            if device["id"] == DEVICE_ID and device["online"] and device["actuators"]:
                return dict(device)
        return None

    def stop(self) -> None:
        for process in (self.agent, self.gateway):
            if process is not None:
                process.stop()

    def logs(self) -> str:
        parts = []
        for name, process in (("gateway", self.gateway), ("agent", self.agent)):
            if process is not None:
                parts.append(f"--- {name} log ---\n{process.tail(60)}")
        return "\n".join(parts)


def start_system(
    broker: Mosquitto,
    workdir: Path,
    token: str | None = None,
    role: str = "operator",
    alerts: str | None = None,
) -> System:
    # The gateway serves whatever `make web` built; without a build every test would time out.
    assert DASHBOARD_BUILD.is_file(), "the dashboard is not built: run `make web` first"
    tokens_file = None
    if token is not None:
        # The tokens file format of CONTRACT.md ("Auth"): <name> <role> <sha256 hex of the token>.
        tokens_file = workdir / "tokens"
        digest = hashlib.sha256(token.encode()).hexdigest()
        tokens_file.write_text(f"# browser test\nbrowser {role} {digest}\n", encoding="utf-8")
    alerts_file = None
    if alerts is not None:
        # The gateway's alert rules (docs/alerts.md), as a TOML text.
        alerts_file = workdir / "alerts.toml"
        alerts_file.write_text(alerts, encoding="utf-8")
    system = System(
        broker=broker, workdir=workdir, tokens_file=tokens_file, alerts_file=alerts_file
    )
    system.start_gateway()
    system.start_agent()
    wait_until(lambda: system.device(token), 30, f"{DEVICE_ID} online with its actuators")
    return system
