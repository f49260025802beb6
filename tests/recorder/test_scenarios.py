"""The recorder with real processes (issue 14): Mosquitto, ``pigw-gateway``, ``pigw-agent
--simulate`` publishing about 50 readings a second (the reliability rig's busy board), and the
stores on disk.

- the gateway SIGKILLed while the device publishes: the SQLite file passes ``PRAGMA
  integrity_check``, no (device, seq) is stored twice, nothing is counted twice in a bucket, and
  every seq the agent made is recorded (what the broker's session did not bring, replay did);
- the gateway stopped for a while with no broker session to come back to: after the restart the
  history holds every seq the agent published and ``coverage`` lists nothing missing;
- two replicas on one PostgreSQL: each reading stored once, each counted once in its buckets;
- the file system full (RLIMIT_FSIZE on the gateway): the live stream goes on, ``/readyz`` says
  ``disk_full``, and once space is back the recorder catches up with every seq.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.support import Gateway
from tests.reliability import rig
from tests.reliability.browser import BrowserStream
from tests.support.broker import Mosquitto
from tests.support.outbox import outbox_seqs, outbox_top, wait_for_readings
from tests.support.postgres import PostgresServer
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
DEVICE = rig.DEVICE


class Scene:
    """What a scenario started; stopped in reverse order (logs printed when the test failed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.gateways: list[Gateway] = []
        self.agents: list[ManagedProcess] = []
        self.streams: list[BrowserStream] = []

    def gateway(self, mqtt_url: str, *args: str, gateway_id: str = "rec") -> Gateway:
        started = Gateway(self.folder / "gateway", mqtt_url, "--retry-ms", "500", *args,
                          gateway_id=gateway_id)  # fmt: skip
        self.gateways.append(started)
        return started

    def agent(self, mqtt_url: str) -> ManagedProcess:
        process = rig.agent_process(self.folder / "agent", mqtt_url)
        self.agents.append(process)
        process.start()
        process.wait_for_output("starting", 30)
        return process

    @property
    def outbox(self) -> Path:
        return rig.outbox_path(self.folder / "agent")

    def close(self, failed: bool) -> None:
        for stream in self.streams:
            stream.close()
        for process in self.agents:
            process.stop(20)
        for started in self.gateways:
            started.stop()
        if failed:
            for process in [*self.agents, *(g.process for g in self.gateways)]:
                print(f"--- {process.log_path.name} ---\n{process.tail(60)}")


@pytest.fixture
def scene(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Scene]:
    made = Scene(tmp_path)
    try:
        yield made
    finally:
        report = getattr(request.node, "rep_call", None)
        made.close(failed=report is not None and report.failed)


def coverage(gateway: Gateway) -> dict[str, Any]:
    doc: dict[str, Any] = gateway.get(f"/api/devices/{DEVICE}/coverage").json()
    return doc


def holds_every_seq(gateway: Gateway, seqs: list[int]) -> bool:
    """Coverage is one run from the agent's first seq to its last, nothing missing."""
    cov = coverage(gateway)
    return bool(
        cov["missing"] == []
        and cov["first_seq"] == seqs[0]
        and cov["last_seq"] == seqs[-1]
        and cov["recorded"] == len(seqs)
    )


def settled(scene: Scene, gateway: Gateway, agent: ManagedProcess) -> list[int]:
    """Wait until the history has caught up with the running agent (replays answered), stop the
    agent (a clean stop commits its outbox: the record of every seq it made), then wait until
    the gateway's history holds every one."""
    top = outbox_top(scene.outbox)
    wait_until(
        lambda: (c := coverage(gateway))["missing"] == [] and (c["last_seq"] or -1) >= top,
        60,
        f"the history to catch up with the agent (seq {top})",
    )
    agent.stop(20)
    seqs = outbox_seqs(scene.outbox)
    assert seqs == list(range(seqs[0], seqs[-1] + 1))  # the agent's own line has no hole
    try:
        wait_until(lambda: holds_every_seq(gateway, seqs), 60, "the history to hold every seq")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: agent {seqs[0]}..{seqs[-1]}, {coverage(gateway)}") from None
    return seqs


def sqlite_facts(path: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows, distinct = db.execute(
            "SELECT count(*), count(DISTINCT r.seq) FROM history_readings r JOIN history_points p "
            "ON p.id = r.point_id JOIN history_devices d ON d.id = p.device_id WHERE d.name = ?",
            (DEVICE,),
        ).fetchone()
        minute = db.execute("SELECT coalesce(sum(count), 0) FROM history_minute").fetchone()[0]
        hour = db.execute("SELECT coalesce(sum(count), 0) FROM history_hour").fetchone()[0]
    return {"integrity": integrity, "rows": rows, "distinct": distinct, "minute": minute,
            "hour": hour}  # fmt: skip


def test_gateway_sigkilled_while_the_device_publishes_fast(
    broker: Mosquitto, scene: Scene, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    gateway = scene.gateway(broker.url, "--history-url", f"sqlite:///{db}").start()
    agent = scene.agent(broker.url)
    replays = 0.0
    for _ in range(3):
        wait_until(lambda: (coverage(gateway)["recorded"] or 0) > 100, 30, "readings recorded")
        gateway.process.kill()  # mid-batch, as likely as not
        wait_for_readings(scene.outbox, 100)  # published while nobody records
        gateway.start()
        wait_for_readings(scene.outbox, 50)
        replays += gateway.metric("pigw_gateway_replay_requests_total")
    seqs = settled(scene, gateway, agent)
    gateway.stop()
    facts = sqlite_facts(db)
    assert facts["integrity"] == "ok"
    assert facts["rows"] == facts["distinct"] == len(seqs)  # stored once each
    assert facts["minute"] == facts["hour"] == len(seqs)  # counted once each
    print(f"recorded {len(seqs)} seqs over 3 SIGKILLs; replay requests sent: {replays:g}")


def test_gateway_down_for_a_while_gets_every_seq_back_by_replay(
    broker: Mosquitto, scene: Scene, tmp_path: Path
) -> None:
    # --session-expiry 0: the broker forgets the gateway's session when it goes, so what the
    # agent publishes meanwhile can only come back by replay (a restart after a long outage).
    db = tmp_path / "history.db"
    args = ("--history-url", f"sqlite:///{db}", "--session-expiry", "0")
    gateway = scene.gateway(broker.url, *args).start()
    agent = scene.agent(broker.url)
    wait_until(lambda: (coverage(gateway)["recorded"] or 0) > 50, 30, "readings recorded")
    gateway.stop()
    wait_for_readings(scene.outbox, 300)  # about six seconds of readings nobody hears
    gateway.start()
    seqs = settled(scene, gateway, agent)
    assert gateway.metric("pigw_gateway_replay_requests_total") >= 1
    assert coverage(gateway)["missing"] == []
    readings = gateway.get(f"/api/devices/{DEVICE}/history?max_points=100000").json()["readings"]
    assert sorted(r["seq"] for r in readings) == seqs
    # backlog and replayed readings land at their own ts: oldest first by ts means by seq too
    assert [r["seq"] for r in readings] == sorted(r["seq"] for r in readings)


def test_two_replicas_on_one_postgresql_store_each_reading_once(
    broker: Mosquitto, scene: Scene, postgres_server: PostgresServer
) -> None:
    url = postgres_server.create_database()
    one = scene.gateway(broker.url, "--history-url", url, gateway_id="rep-a").start()
    two = scene.gateway(broker.url, "--history-url", url, gateway_id="rep-b").start()
    agent = scene.agent(broker.url)
    wait_for_readings(scene.outbox, 300)
    seqs = settled(scene, one, agent)
    assert holds_every_seq(two, seqs)  # the same store, seen from the other replica
    database = url.rsplit("/", 1)[1]
    rows, distinct, minute, hour = (
        postgres_server.psql(
            "SELECT (SELECT count(*) FROM history_readings), "
            "(SELECT count(DISTINCT (device_id, seq)) FROM history_readings), "
            "(SELECT sum(count) FROM history_minute), (SELECT sum(count) FROM history_hour)",
            database,
        )
        .strip()
        .split("|")
    )
    assert int(rows) == int(distinct) == len(seqs)
    assert int(minute) == int(hour) == len(seqs)
    written = one.metric('pigw_gateway_history_readings_total{what="written"}') + two.metric(
        'pigw_gateway_history_readings_total{what="written"}'
    )
    assert written == len(seqs)  # each replica wrote some; together exactly once each


LIMITED = """
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
os.execv(sys.argv[2], sys.argv[2:])
"""


def test_a_full_file_system_leaves_the_stream_alone_and_the_recorder_catches_up(
    broker: Mosquitto, scene: Scene, tmp_path: Path
) -> None:
    # RLIMIT_FSIZE on the gateway process: its files cannot grow past 1 MiB, as on a full disk
    # (a size-limited tmpfs needs mount privileges; this needs none). Raised again with prlimit.
    db = tmp_path / "history.db"
    gateway = scene.gateway(broker.url, "--history-url", f"sqlite:///{db}", "--history-queue",
                            "100000")  # fmt: skip
    gateway.process.argv = [sys.executable, "-c", LIMITED, str(1024 * 1024), *gateway.process.argv]
    gateway.start()
    stream = BrowserStream(gateway.url + "/api/events", "live").start()
    scene.streams.append(stream)
    agent = scene.agent(broker.url)

    def failing() -> bool:
        recorder = gateway.get("/readyz").json()["recorder"]
        return recorder["failing"] == "disk_full"

    wait_until(failing, 120, "the recorder to hit the file size limit")
    status = gateway.get("/readyz")
    assert status.status_code == 200  # ready: the store is not what readiness is about
    seen = len(stream.event_seqs(DEVICE))
    wait_until(lambda: len(stream.event_seqs(DEVICE)) >= seen + 100, 30,
               "live readings while the store is full")  # fmt: skip
    assert gateway.get(f"/api/devices/{DEVICE}").status_code == 200
    assert gateway.metric('pigw_gateway_history_failures_total{cause="disk_full"}') >= 1
    resource.prlimit(
        gateway.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    )  # space is back
    wait_until(lambda: gateway.get("/readyz").json()["recorder"]["ok"], 60,
               "the recorder to recover")  # fmt: skip
    seqs = settled(scene, gateway, agent)
    assert len(seqs) > 0
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_limited_launcher_really_limits(tmp_path: Path) -> None:
    # The scenario above relies on the launcher: a file written through it stops at the limit.
    target = tmp_path / "big"
    script = f"open({str(target)!r}, 'wb').write(b'x' * 10000)"
    done = subprocess.run(
        [sys.executable, "-c", LIMITED, "4096", sys.executable, "-c", script],
        capture_output=True,
        check=False,
    )
    assert done.returncode != 0 and b"File too large" in done.stderr
    assert target.stat().st_size <= 4096
