"""Helpers for the gateway's tests: contract payloads, a real gateway process, an SSE reader."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pigw.contract import (
    ONLINE,
    BacklogEntry,
    DeviceMeta,
    StateMessage,
    Topics,
    encode_backlog,
    encode_model,
    encode_state,
    format_ts,
)
from tests.support.mqtt import Recorder
from tests.support.ports import free_port
from tests.support.processes import ManagedProcess, venv_command
from tests.support.sse import LineParser
from tests.support.waiting import wait_until

TOPICS = Topics()


def meta(device: str, boot: str = "b1", *, interval: float | None = 5.0) -> DeviceMeta:
    """A small device: sensor ``t`` (ds18b20), sensor ``door`` (digital), actuators ``relay1``
    (relay) and ``pwm1`` (pwm_led)."""
    return DeviceMeta.model_validate(
        {
            "id": device,
            "name": device.upper(),
            "model": "test board",
            "sw": "0.1.0",
            "boot": boot,
            "sensors": {
                "t": {"kind": "ds18b20", "unit": "°C", "interval": interval},
                "door": {"kind": "digital"},
            },
            "actuators": {"relay1": {"kind": "relay"}, "pwm1": {"kind": "pwm_led"}},
        }
    )


def state(seq: int, value: Any = 21.5, boot: str = "b1", unit: str | None = "°C") -> bytes:
    return encode_state(
        StateMessage(value=value, unit=unit, ts=format_ts(1_795_000_000 + seq), seq=seq, boot=boot)
    )


def backlog(device_point: str, seqs: Sequence[int], boot: str = "b1") -> bytes:
    entries = [
        BacklogEntry(
            value=float(seq), unit="°C", ts=format_ts(1_795_000_000 + seq), seq=seq, boot=boot,
            sensor=device_point,
        )
        for seq in seqs
    ]  # fmt: skip
    (payload,) = encode_backlog(entries)
    return payload


def announce(mqtt: Recorder, device: str, boot: str = "b1") -> None:
    """Publish a device's retained meta and ``online`` status, as an agent does on connect."""
    mqtt.publish(TOPICS.meta(device), encode_model(meta(device, boot)), retain=True)
    mqtt.publish(TOPICS.status(device), ONLINE, retain=True)


# --- the gateway as a process ------------------------------------------------------------------
class Gateway:
    """``pigw-gateway`` on a free port, talking to ``mqtt_url``."""

    def __init__(self, workdir: Path, mqtt_url: str, *args: str, gateway_id: str = "test") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [
            venv_command("pigw-gateway"),
            "--mqtt-url", mqtt_url,
            "--port", str(self.port),
            "--gateway-id", gateway_id,
            "--replay-delay", "0.3",
            "--replay-retry", "1",
            *args,
        ]  # fmt: skip
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(argv, workdir / f"gateway-{self.port}.log")

    def start(self, ready: bool = True) -> Gateway:
        self.process.start()
        wait_until(self._answers, 20, "the gateway to answer /healthz")
        if ready:
            self.wait_ready()
        return self

    def _answers(self) -> bool:
        if not self.process.running:
            raise AssertionError(f"the gateway exited:\n{self.process.tail()}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def ready(self) -> bool:
        return httpx.get(self.url + "/readyz", timeout=2).status_code == 200

    def wait_ready(self, timeout: float = 20) -> None:
        wait_until(self.ready, timeout, "the gateway to be ready")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=30, **kwargs)

    def metric(self, name: str, headers: dict[str, str] | None = None) -> float:
        """The value of one sample line (``name`` with labels, as Prometheus prints it)."""
        text = self.get("/metrics", headers=headers).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    def stop(self) -> int | None:
        """SIGTERM and wait. uvicorn re-raises the signal once it has shut down cleanly, so a clean
        stop exits with -SIGTERM."""
        return self.process.stop()


# --- an SSE reader in a thread -----------------------------------------------------------------
@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None


@dataclass
class SseClient:
    """Reads ``/api/events`` in a thread and keeps every event (and comment) it gets."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[SseEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    status: int | None = None
    ended: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    headers_seen: dict[str, str] = field(default_factory=dict)
    _client: httpx.Client | None = None
    _response: httpx.Response | None = None
    _parser: LineParser = field(default_factory=LineParser)

    def start(self) -> SseClient:
        threading.Thread(target=self._run, daemon=True).start()
        wait_until(lambda: self.status is not None, 10, "the stream's response")
        return self

    def _run(self) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self._response = response
                self.headers_seen = dict(response.headers)
                self.status = response.status_code
                for line in response.iter_lines():
                    self._line(line)
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self._client.close()
            self.ended = True
            if self.status is None:
                self.status = -1

    def _line(self, line: str) -> None:
        parser = self._parser
        dispatch = parser.feed(line)
        with self._lock:
            self.retry = parser.retry
            if parser.comments:
                self.comments.extend(parser.comments)
                parser.comments.clear()
            if dispatch is not None:
                self.events.append(SseEvent(dispatch.event, json.loads(dispatch.data), dispatch.id))

    def close(self) -> None:
        """Hang up (as a browser tab that is closed) and wait for the reader to notice."""
        if self.ended:
            return
        if self._response is not None:
            stream = self._response.extensions.get("network_stream")
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        wait_until(lambda: self.ended, 10, "the SSE reader to stop")

    def snapshot(self) -> list[SseEvent]:
        with self._lock:
            return list(self.events)

    def of(self, name: str) -> list[SseEvent]:
        return [e for e in self.snapshot() if e.event == name]

    def wait_for(
        self, predicate: Callable[[list[SseEvent]], Any], timeout: float = 20, what: str = "events"
    ) -> Any:
        return wait_until(lambda: predicate(self.snapshot()), timeout, what)

    def wait_count(self, name: str, count: int, timeout: float = 20) -> list[SseEvent]:
        return self.wait_for(
            lambda events: len(found := [e for e in events if e.event == name]) >= count and found,
            timeout,
            f"{count} {name} event(s)",
        )


def readings(events: Sequence[SseEvent], device: str | None = None) -> list[SseEvent]:
    return [
        e for e in events if e.event == "reading" and (device is None or e.data["device"] == device)
    ]


def event_n(event: SseEvent) -> int:
    assert event.id is not None
    return int(event.id.rsplit("-", 1)[1])


@dataclass
class StalledClient:
    """An SSE client that connects and then never reads: its socket's buffers fill up."""

    port: int
    path: str = "/api/events"
    websocket: bool = False
    sock: socket.socket | None = None

    def __enter__(self) -> StalledClient:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", self.port))
        upgrade = (
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            if self.websocket
            else ""
        )
        sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{upgrade}\r\n".encode())
        self.sock = sock
        return self

    def connected(self) -> bool:
        """False once the server dropped the connection (reads what is buffered to find out)."""
        assert self.sock is not None
        self.sock.setblocking(False)
        try:
            while self.sock.recv(1 << 20):
                pass
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def __exit__(self, *exc: object) -> None:
        if self.sock is not None:
            self.sock.close()


def iter_devices(doc: dict[str, Any]) -> Iterator[str]:
    for device in doc["devices"]:
        yield device["id"]
