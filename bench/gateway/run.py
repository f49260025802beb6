"""One system at one client count: connect the clients, then step the publish rate.

For each step: every reader zeroes its counters; the publisher (this process, a lean QoS 1 MQTT
client) sends ``rate x duration`` readings of one device, each carrying its send time; then the
step drains: it waits until every client has every reading, or until nothing arrived for
``STALL`` seconds (bounded by ``DRAIN_MAX``). Then it reads the clients' counts and latencies and
the server's CPU and RSS from ``/proc``.

"max" is issue 7's: the best rate with p99 <= 100 ms and nothing lost. The rates are stepped
upwards and stepping stops at the first rate that misses, so every rate below it passed. On a
shared machine a single step can miss by a stray pause elsewhere, so a missed step is run once more
and the rate counts as missed only if the repeat misses too (both steps are kept in the results).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.gateway import systems
from bench.gateway.lean import MqttPublisher

TOPIC = "pigw/bench/t/state"
P99_LIMIT_MS = 100.0
#: A drain ends when nothing arrived for this long ...
STALL = 2.0
#: ... and after this long at most.
DRAIN_MAX = 15.0
#: Latencies are computed for about this many connections (all of their events).
SAMPLED_CLIENTS = 50


@dataclass
class Step:
    system: str
    clients: int
    rate: float
    sent: int = 0
    expected: int = 0
    delivered: int = 0
    gaps: int = 0
    loss: float = 0.0
    deliveries_per_s: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    samples: int = 0
    server_cpu: float = 0.0  # share of one core
    broker_cpu: float = 0.0
    client_cpu: float = 0.0
    server_rss_mb: float = 0.0
    open_clients: int = 0

    @property
    def ok(self) -> bool:
        return self.delivered == self.expected and self.gaps == 0 and self.p99_ms <= P99_LIMIT_MS


@dataclass
class SystemRun:
    system: str
    clients: int
    steps: list[Step] = field(default_factory=list)
    idle_rss_mb: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "steps": [{**asdict(s), "ok": s.ok} for s in self.steps]}


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class Reader:
    """A reader process (:mod:`bench.gateway.reader`) and its command channel."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def spawn(
        cls, kind: str, port: int, *, clients: int, first: int, sample_every: int, path: str
    ) -> Reader:
        argv = [sys.executable, "-m", "bench.gateway.reader", kind, str(port), str(clients)]
        argv += [str(first), str(sample_every), path]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 26,
            cwd=systems.REPO,
        )
        return cls(proc)

    async def ask(self, command: str, timeout: float = 30.0) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        async with asyncio.timeout(timeout):
            line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"reader process ended while asked {command!r}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ask("quit", 5)
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self.proc.wait()
        if self.proc.returncode is None:
            self.proc.kill()


class Publisher:
    """Readings of one device at a fixed rate, seq counting up over the whole run."""

    def __init__(self, protocol: MqttPublisher) -> None:
        self.protocol = protocol
        self.seq = 0

    @classmethod
    async def connect(cls, port: int) -> Publisher:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        _, protocol = await loop.create_connection(
            lambda: MqttPublisher("bench-publisher", done), "127.0.0.1", port
        )
        async with asyncio.timeout(10):
            await done
        return cls(protocol)

    def _one(self) -> None:
        self.seq += 1
        now = time.time()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
        payload = (
            f'{{"value":{time.monotonic():.6f},"unit":"s","ts":"{ts}",'
            f'"seq":{self.seq},"boot":"bench"}}'
        )
        self.protocol.publish(TOPIC, payload.encode(), retain=True)

    async def run(self, rate: float, duration: float) -> tuple[int, float]:
        """Publish ``rate x duration`` readings on schedule; (how many, when the first went)."""
        total = max(1, round(rate * duration))
        begin = time.monotonic()
        sent = 0
        while sent < total:
            due = min(total, int((time.monotonic() - begin) * rate) + 1)
            while sent < due:
                self._one()
                sent += 1
            if sent < total:
                delay = begin + sent / rate - time.monotonic()
                await asyncio.sleep(max(0.0, delay))  # poll: the publish clock
        return total, begin

    def close(self) -> None:
        self.protocol.transport.close()


async def run_system(
    name: str,
    clients: int,
    *,
    rates: list[float],
    duration: float,
    workdir: Path,
    clients_per_reader: int,
    log: Any,
) -> SystemRun:
    """Start ``name`` with ``clients`` clients and step through ``rates`` (until a step misses)."""
    result = SystemRun(name, clients)
    running = await asyncio.to_thread(systems.start, name, workdir / f"{name}-{clients}")
    readers: list[Reader] = []
    publisher: Publisher | None = None
    try:
        sample_every = max(1, clients // SAMPLED_CLIENTS)
        for first in range(0, clients, clients_per_reader):
            count = min(clients_per_reader, clients - first)
            readers.append(
                await Reader.spawn(
                    running.client_kind,
                    running.client_port,
                    clients=count,
                    first=first,
                    sample_every=sample_every,
                    path=running.client_path,
                )
            )
        for reader in readers:
            await reader.ask("connect", 120)
        publisher = await Publisher.connect(running.broker.port)
        # Warm-up (not measured): the first events of a stream carry its snapshot, code paths get
        # their first calls.
        await _step(
            running, readers, publisher, clients=clients, rate=50, duration=0.4, result=result
        )
        result.steps.clear()
        result.idle_rss_mb = systems.rss_mb(running.server_pid)
        for rate in rates:
            for _attempt in range(2):
                step = await _step(
                    running,
                    readers,
                    publisher,
                    clients=clients,
                    rate=rate,
                    duration=duration,
                    result=result,
                )
                log(step)
                await asyncio.sleep(0.5)  # poll: let the machine settle between steps
                if step.ok:
                    break
            if not step.ok:
                break
    except Exception as exc:  # noqa: BLE001 - one system failing must not end the benchmark
        result.error = f"{type(exc).__name__}: {exc}"
        log(result.error)
    finally:
        if publisher is not None:
            publisher.close()
        for reader in readers:
            await reader.close()
        await asyncio.to_thread(running.stop)
    return result


async def _step(
    running: systems.Running,
    readers: list[Reader],
    publisher: Publisher,
    *,
    clients: int,
    rate: float,
    duration: float,
    result: SystemRun,
) -> Step:
    step = Step(running.name, clients, rate)
    for reader in readers:
        await reader.ask("reset")
    server_pid, broker_pid = running.server_pid, running.broker_pid
    server0, broker0 = systems.cpu_seconds(server_pid), systems.cpu_seconds(broker_pid)
    rss = [systems.rss_mb(server_pid)]

    async def sample_rss() -> None:
        while True:
            await asyncio.sleep(0.25)  # poll: memory sampling
            rss.append(systems.rss_mb(server_pid))

    sampler = asyncio.create_task(sample_rss())
    try:
        step.sent, begin = await publisher.run(rate, duration)
        step.expected = step.sent * clients
        last, last_change = -1, time.monotonic()
        drain_start = time.monotonic()
        while True:
            count = sum([(await r.ask("progress"))["count"] for r in readers])
            now = time.monotonic()
            if count >= step.expected:
                break
            if count != last:
                last, last_change = count, now
            elif now - last_change > STALL or now - drain_start > DRAIN_MAX:
                break
            await asyncio.sleep(0.05)  # poll: the clients' progress
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    end = time.monotonic()
    server_cpu = systems.cpu_seconds(server_pid) - server0
    broker_cpu = systems.cpu_seconds(broker_pid) - broker0
    reports = [await r.ask("report", 60) for r in readers]
    _account(step, reports, begin=begin, end=end, duration=duration)
    elapsed = end - begin
    step.server_cpu = server_cpu / elapsed
    step.broker_cpu = broker_cpu / elapsed if running.server is not None else 0.0
    step.server_rss_mb = max(rss)
    result.steps.append(step)
    return step


def _account(
    step: Step, reports: list[dict[str, Any]], *, begin: float, end: float, duration: float
) -> None:
    """Counts, loss, rate and latency percentiles from the readers' reports."""
    latencies = sorted(x for report in reports for x in report["latencies_ms"])
    step.delivered = sum(sum(report["counts"]) for report in reports)
    step.gaps = sum(report["gaps"] for report in reports)
    step.loss = 1 - step.delivered / step.expected if step.expected else 0.0
    last_at = max((report["last_at"] for report in reports), default=end)
    span = max(duration, last_at - begin, 1e-3)
    step.deliveries_per_s = step.delivered / span
    step.samples = len(latencies)
    step.p50_ms = statistics.median(latencies) if latencies else float("nan")
    step.p99_ms = percentile(latencies, 0.99)
    step.client_cpu = sum(report["cpu_s"] for report in reports) / (end - begin)
    step.open_clients = sum(report["open"] for report in reports)
