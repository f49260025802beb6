"""The audit trail of commands (pure, no broker): what :class:`Commands` reports for each outcome,
and the trail's memory ring."""

from __future__ import annotations

import asyncio

import pytest

from gateway.core.commands import CommandError, Commands
from gateway.recorder.audit import AuditTrail
from gateway.recorder.records import AuditEntry
from gateway.state import Registry
from pigw.contract import Ack, AckStatus, Topics, decode_command
from tests.gateway.support import meta
from tests.support.waiting import async_wait_until


class Trail:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


def commands(
    trail: Trail, *, online: bool = True, timeout: float = 5.0
) -> tuple[Commands, list[bytes]]:
    registry = Registry()
    registry.set_meta("d1", meta("d1"))
    registry.set_online("d1", online)
    sent: list[bytes] = []

    async def publish(topic: str, payload: bytes) -> bool:
        sent.append(payload)
        return True

    return Commands(
        registry, Topics(), publish, timeout=timeout, audit=trail, clock=lambda: 12.5
    ), sent


async def test_an_acked_command_is_audited_with_its_cid_status_and_latency() -> None:
    trail = Trail()
    cmds, sent = commands(trail)
    task = asyncio.create_task(cmds.send("d1", "relay1", "ON", principal="alice", via="ws"))
    await async_wait_until(lambda: sent, 5, "the command published")
    cid = decode_command(sent[0]).cid
    assert cid is not None
    cmds.on_ack("d1", "relay1", Ack(cid=cid, status=AckStatus.ERROR, value=False,
                                    ts="2026-12-01T00:00:00.000Z", error="relay stuck"))  # fmt: skip
    await task
    (entry,) = trail.entries
    assert (entry.principal, entry.device, entry.actuator, entry.value, entry.via) == (
        "alice", "d1", "relay1", "ON", "ws",
    )  # fmt: skip
    assert (entry.cid, entry.status, entry.error, entry.ts_ms) == (
        cid,
        "error",
        "relay stuck",
        12_500,
    )
    assert entry.latency_ms is not None and entry.latency_ms >= 0


@pytest.mark.parametrize(
    ("device", "actuator", "value", "online", "status"),
    [
        ("d1", "relay1", "ON", False, "offline"),
        ("nope", "relay1", "ON", True, "refused"),
        ("d1", "relay1", "maybe", True, "refused"),
    ],
)
async def test_refusals_are_audited_without_a_cid(
    device: str, actuator: str, value: str, online: bool, status: str
) -> None:
    trail = Trail()
    cmds, sent = commands(trail, online=online)
    with pytest.raises(CommandError):
        await cmds.send(device, actuator, value, principal="bob")
    (entry,) = trail.entries
    assert (entry.status, entry.cid, entry.latency_ms, entry.principal) == (
        status,
        None,
        None,
        "bob",
    )
    assert entry.error and sent == []


async def test_a_timeout_is_audited_with_the_published_cid() -> None:
    trail = Trail()
    cmds, sent = commands(trail, timeout=0.01)
    with pytest.raises(CommandError) as caught:
        await cmds.send("d1", "relay1", "OFF")
    assert caught.value.status == 504 and sent
    (entry,) = trail.entries
    assert entry.status == "timeout" and entry.cid is not None and entry.latency_ms is not None


async def test_the_memory_trail_keeps_the_newest_and_filters() -> None:
    trail = AuditTrail(None, memory_entries=3)
    for i in range(5):
        trail.record(AuditEntry(i, "p", f"d{i % 2}", "a", i, None, "ok", None, None, "rest"))
    got = await trail.query(None, None, None, 10)
    assert [e.ts_ms for e in got] == [4, 3, 2]
    assert [e.ts_ms for e in await trail.query("d0", 3, None, 10)] == [4]
    assert trail.recorded == 5
