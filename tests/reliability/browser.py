"""An SSE client that behaves like a browser's ``EventSource`` and keeps what a dashboard holds.

Like a browser (WHATWG HTML, "Server-sent events" §9.2): it remembers the last ``id:`` it saw
(an event without one — ``reset`` — leaves it as it was), honours the server's ``retry:`` hint,
and when the stream ends or the connection fails it waits that long and reconnects by itself,
sending ``Last-Event-ID``. Like the dashboard, it applies ``snapshot`` and the live events to a
view of every device, and starts over from the ``snapshot`` that follows a ``reset``.

What a reliability scenario checks is kept per client:

* ``held_events``: every ``(device, seq)`` that arrived as a ``reading`` or ``actuator`` event;
  a second arrival of the same pair is a *duplicate shown as a new reading* (``duplicates``);
* ``held_snapshot``: the ``(device, seq)`` pairs a snapshot showed as current values;
* ``id_breaks``: within one run of the gateway (one epoch) an unfiltered stream must see event
  numbers go up by exactly one, across reconnects too (Last-Event-ID resume is exact);
* ``view``: each device's ``online`` and each point's current ``(seq, value)``, as a dashboard
  shows them, to compare with the broker's retained state;
* timings: when each ``status`` and ``broker`` event arrived (``time.monotonic()``).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.sse import LineParser

#: A browser's reconnection time before the server sends ``retry:`` (Chromium and Firefox: 3 s).
BROWSER_RETRY_MS = 3000


@dataclass
class PointView:
    seq: int | None
    value: Any


@dataclass
class DeviceView:
    online: bool = False
    points: dict[str, PointView] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Timed:
    """Something that arrived at ``at`` (monotonic seconds)."""

    at: float
    device: str | None
    value: Any


class BrowserStream:
    """``GET /api/events`` in a thread, reconnecting by itself like ``EventSource``."""

    def __init__(self, url: str, name: str = "client") -> None:
        self.url = url
        self.name = name
        self.retry_ms = BROWSER_RETRY_MS
        self.last_event_id: str | None = None
        self.connections = 0  # responses with status 200
        self.failed_attempts = 0  # connection refused, non-200 answers, broken streams
        self.statuses: list[int] = []
        self.resets: list[str] = []
        self.snapshots = 0
        self.resumed = 0  # 200 answers to a Last-Event-ID that started with a live event
        self.held_events: dict[tuple[str, int], int] = {}
        self.held_snapshot: set[tuple[str, int]] = set()
        self.hist_events = 0
        self.duplicates: list[tuple[str, int]] = []
        self.id_breaks: list[tuple[str | None, str]] = []
        self.view: dict[str, DeviceView] = {}
        self.status_events: list[Timed] = []
        self.broker_events: list[Timed] = []
        self.reset_at: list[float] = []
        self.snapshot_at: list[float] = []
        self.events = 0
        self._last_n: tuple[str, int] | None = None
        self._awaiting_first: bool = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, name=f"sse-{name}", daemon=True)

    # --- control ----------------------------------------------------------------------------
    def start(self) -> BrowserStream:
        self._thread.start()
        return self

    def close(self) -> None:
        """Close the tab: stop reconnecting and hang up."""
        self._stop.set()
        self.drop()
        self._thread.join(15)

    def drop(self) -> None:
        """The network under the tab breaks (the browser will reconnect by itself)."""
        response = self._response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)

    # --- what it holds ----------------------------------------------------------------------
    def holds(self) -> set[tuple[str, int]]:
        """Every (device, seq) this client has been shown: as an event or in a snapshot."""
        with self._lock:
            return set(self.held_events) | self.held_snapshot

    def event_seqs(self, device: str) -> set[int]:
        with self._lock:
            return {seq for dev, seq in self.held_events if dev == device}

    def device(self, device: str) -> DeviceView | None:
        with self._lock:
            return self.view.get(device)

    def point(self, device: str, point: str) -> PointView | None:
        with self._lock:
            view = self.view.get(device)
            return None if view is None else view.points.get(point)

    def broker_connected(self) -> bool | None:
        with self._lock:
            return self.broker_events[-1].value if self.broker_events else None

    def first_status_after(self, device: str, online: bool, after: float) -> float | None:
        with self._lock:
            for timed in self.status_events:
                if timed.at >= after and timed.device == device and timed.value is online:
                    return timed.at
        return None

    def first_broker_after(self, connected: bool, after: float) -> float | None:
        with self._lock:
            for timed in self.broker_events:
                if timed.at >= after and timed.value is connected:
                    return timed.at
        return None

    # --- the reader thread ------------------------------------------------------------------
    def _run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(10, read=None)) as client:
            while not self._stop.is_set():
                self._connect_once(client)
                # A browser waits its reconnection time, then tries again (§9.2.3).
                self._stop.wait(self.retry_ms / 1000)

    def _connect_once(self, client: httpx.Client) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        try:
            with client.stream("GET", self.url, headers=headers) as response:
                self.statuses.append(response.status_code)
                if response.status_code != 200:
                    self.failed_attempts += 1
                    return
                self._response = response
                self.connections += 1
                self._awaiting_first = self.last_event_id is not None
                parser = LineParser(retry=self.retry_ms, keep_comments=False)
                for line in response.iter_lines():
                    dispatch = parser.feed(line)
                    self.retry_ms = parser.retry or self.retry_ms
                    if dispatch is not None:
                        self._dispatch(dispatch.event, dispatch.data, dispatch.id)
                # The server ended the response (shutdown): reconnect like a browser.
                self.failed_attempts += 1
        except (httpx.HTTPError, OSError, RuntimeError):
            self.failed_attempts += 1
        finally:
            self._response = None

    def _dispatch(self, name: str, data_text: str, event_id: str | None) -> None:
        now = time.monotonic()
        data = json.loads(data_text)
        with self._lock:
            self.events += 1
            if self._awaiting_first:
                self._awaiting_first = False
                if name not in ("reset", "snapshot"):
                    self.resumed += 1
            if event_id is not None:
                self._check_id(event_id, name)
                self.last_event_id = event_id
            if name == "snapshot":
                self._snapshot(data, now)
            elif name == "reset":
                self.resets.append(str(data.get("reason")))
                self.reset_at.append(now)
                self._last_n = None
            elif name in ("reading", "actuator"):
                self._state(name, data)
            elif name == "status":
                self.view.setdefault(data["device"], DeviceView()).online = bool(data["online"])
                self.status_events.append(Timed(now, data["device"], bool(data["online"])))
            elif name == "meta":
                if data.get("removed"):
                    self.view.pop(data["device"], None)
                else:
                    self.view.setdefault(data["device"], DeviceView())
            elif name == "broker":
                self.broker_events.append(Timed(now, None, bool(data["connected"])))

    def _check_id(self, event_id: str, name: str) -> None:
        epoch, _, number = event_id.rpartition("-")
        n = int(number)
        previous = self._last_n
        same_epoch = previous is not None and previous[0] == epoch
        if name != "snapshot" and same_epoch and n != previous[1] + 1:  # type: ignore[index]
            self.id_breaks.append((self.last_event_id, event_id))
        self._last_n = (epoch, n)

    def _snapshot(self, data: dict[str, Any], now: float) -> None:
        self.snapshots += 1
        self.snapshot_at.append(now)
        view: dict[str, DeviceView] = {}
        for device in data["devices"]:
            points: dict[str, PointView] = {}
            for group in ("sensors", "actuators"):
                for point, doc in device[group].items():
                    points[point] = PointView(doc["seq"], doc["value"])
                    if doc["seq"] is not None:
                        self.held_snapshot.add((device["id"], doc["seq"]))
            view[device["id"]] = DeviceView(bool(device["online"]), points)
        self.view = view

    def _state(self, name: str, data: dict[str, Any]) -> None:
        device, seq = data["device"], data["seq"]
        key = (device, seq)
        if key in self.held_events:
            self.duplicates.append(key)
        self.held_events[key] = self.held_events.get(key, 0) + 1
        if data.get("hist"):
            self.hist_events += 1
        point = data["sensor"] if name == "reading" else data["actuator"]
        view = self.view.setdefault(device, DeviceView())
        current = view.points.get(point)
        if current is None or current.seq is None or seq > current.seq:
            view.points[point] = PointView(seq, data["value"])
