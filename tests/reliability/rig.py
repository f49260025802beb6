"""The whole system for a fault scenario: Mosquitto, ``pigw-gateway``, ``pigw-agent --simulate``
and browser-like SSE clients, all real processes (the clients are threads of the test).

The agent runs :data:`BUSY_BOARD`: five simulated thermometers sampled ten times a second whose
heartbeat is shorter than their interval, so every sample is a new reading — about 50 readings a
second — plus a door contact and the three actuators of the demo board. No simulation knob was
needed: ``heartbeat`` < ``interval`` already means "publish every sample" (docs/agent.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tests.gateway.support import Gateway
from tests.reliability.browser import BrowserStream
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

DEVICE = "rig-pi"
BUSY_SENSORS = 5
SAMPLES_PER_SECOND = 10


def busy_board(sensors: int = BUSY_SENSORS, interval: float = 1 / SAMPLES_PER_SECOND) -> str:
    """A board of ``sensors`` thermometers publishing every sample (≈ sensors / interval per s)."""
    parts = ['[device]\nname = "Reliability rig"\n']
    for index in range(1, sensors + 1):
        parts.append(
            f"""
[sensors.t{index}]
kind = "cpu_temperature"
interval = {interval}
heartbeat = {interval / 2}
deadband = 0
decimals = 3
simulate = {{ signal = "drift", period = 60, low = 40.0, high = 60.0, noise = 0.05 }}
"""
        )
    parts.append(
        """
[sensors.door]
kind = "digital"
pin = 17
debounce = 0
simulate = { signal = "square", period = 2 }

[actuators.relay1]
kind = "relay"
pin = 5
active_high = false

[actuators.led1]
kind = "led"
pin = 6

[actuators.pwm1]
kind = "pwm_led"
pin = 12
"""
    )
    return "".join(parts)


BUSY_BOARD = busy_board()


def agent_process(
    folder: Path,
    mqtt_url: str,
    *,
    device: str = DEVICE,
    board: str = BUSY_BOARD,
    keepalive: float | None = None,
    extra: Sequence[str] = (),
) -> ManagedProcess:
    """``pigw-agent --simulate`` with its board, outbox and log in ``folder`` (not started)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f"board-{device}.toml"
    config.write_text(board, encoding="utf-8")
    argv = [
        venv_command("pigw-agent"),
        "--simulate",
        "--config", str(config),
        "--device-id", device,
        "--mqtt-url", mqtt_url,
        "--outbox", str(outbox_path(folder, device)),
        "--mqtt-backoff-min", "0.2",
        "--mqtt-backoff-max", "2",
        *(["--mqtt-keepalive", str(keepalive)] if keepalive is not None else []),
        *extra,
    ]  # fmt: skip
    return ManagedProcess(argv, folder / f"agent-{device}.log")


def outbox_path(folder: Path, device: str = DEVICE) -> Path:
    """The agent's outbox; :class:`System` runs agents in ``<tmp>/agent``."""
    return folder / f"outbox-{device}.sqlite"


def gateway(folder: Path, mqtt_url: str, *args: str) -> Gateway:
    """``pigw-gateway`` (not started) that lets browsers retry after 0.5 s instead of 2 s, so a
    scenario spends its time on the fault, not on waiting clients."""
    return Gateway(folder / "gateway", mqtt_url, "--retry-ms", "500", *args, gateway_id="rig")


def log_times(process: ManagedProcess, text: str) -> int:
    """How many times ``text`` occurs in ``process``'s log."""
    return process.output().count(text)


@dataclass
class Clients:
    """Browser-like SSE clients on one gateway."""

    streams: list[BrowserStream] = field(default_factory=list)

    @classmethod
    def open(cls, url: str, count: int = 3) -> Clients:
        clients = cls([BrowserStream(url + "/api/events", f"c{i}").start() for i in range(count)])
        wait_until(
            lambda: all(c.snapshots >= 1 for c in clients.streams), 30, "every client's snapshot"
        )
        return clients

    def __iter__(self) -> Iterator[BrowserStream]:
        return iter(self.streams)

    def close(self) -> None:
        for client in self.streams:
            client.close()

    def wait_all(
        self, condition: Callable[[BrowserStream], object], timeout: float, what: str
    ) -> None:
        """Wait until ``condition`` holds for every client."""
        wait_until(lambda: all(condition(c) for c in self.streams), timeout, what)

    def missing(self, expected: set[int], device: str = DEVICE) -> dict[str, int]:
        """Per client: how many of ``expected`` seqs it has not received as events."""
        return {c.name: len(expected - c.event_seqs(device)) for c in self.streams}


class Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class System:
    """What a scenario started, stopped in reverse order at the end of the test (logs printed
    when it failed). The broker is the ``broker`` fixture's."""

    folder: Path
    processes: list[ManagedProcess] = field(default_factory=list)
    gateways: list[Gateway] = field(default_factory=list)
    clients: list[Clients] = field(default_factory=list)
    closers: list[Closable] = field(default_factory=list)

    def gateway(self, mqtt_url: str, *args: str) -> Gateway:
        started = gateway(self.folder, mqtt_url, *args)
        self.gateways.append(started)
        return started.start()

    def agent(
        self,
        mqtt_url: str,
        *,
        device: str = DEVICE,
        board: str = BUSY_BOARD,
        keepalive: float | None = None,
    ) -> ManagedProcess:
        """Start ``pigw-agent --simulate`` (outbox in ``<tmp>/agent``, kept across restarts)."""
        process = agent_process(
            self.folder / "agent", mqtt_url, device=device, board=board, keepalive=keepalive
        )
        self.processes.append(process)
        process.start()
        wait_until(
            lambda: "starting" in process.output() or not process.running,
            30,
            "the agent to start",
        )
        if not process.running:
            raise AssertionError(f"the agent exited:\n{process.tail()}")
        return process

    def browsers(self, url: str, count: int = 3) -> Clients:
        opened = Clients.open(url, count)
        self.clients.append(opened)
        return opened

    def close(self, failed: bool) -> None:
        for clients in self.clients:
            clients.close()
        for process in self.processes:
            process.stop(20)
        for started in self.gateways:
            started.stop()
        for closer in self.closers:
            closer.close()
        if failed:
            for process in [*self.processes, *(g.process for g in self.gateways)]:
                print(f"--- {process.log_path.name} ---\n{process.tail(80)}")


def elapsed_ms(since: float, until: float | None = None) -> float:
    return round(((until if until is not None else time.monotonic()) - since) * 1000, 1)
