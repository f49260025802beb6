"""Every alert store keeps the same promises: state survives, and a transition is claimed once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.alerts.alert import Alert, AlertKey
from gateway.alerts.postgres_store import PostgresAlertStore
from gateway.alerts.sqlite_store import SqliteAlertStore
from gateway.alerts.store import AlertStore, MemoryAlertStore
from gateway.alerts.store_url import alert_store_for

T0 = 1_780_000_000.0


def alert(state: str = "firing", seq: int = 1, point: str | None = "temp", **kw: object) -> Alert:
    fields: dict[str, object] = {
        "rule": "hot",
        "device": "room",
        "point": point,
        "state": state,
        "severity": "warning",
        "value": 31.5,
        "since": T0,
        "ts": T0 + 60 + seq,
        "seq": seq,
    }
    fields.update(kw)
    return Alert(**fields)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AlertStore]:
    if request.param == "memory":
        opened: AlertStore = MemoryAlertStore()
    elif request.param == "sqlite":
        opened = alert_store_for(f"sqlite:///{tmp_path / 'history.db'}")
    else:
        opened = alert_store_for(request.getfixturevalue("postgres_url"))
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def test_saved_and_claimed_states_are_loaded_back(store: AlertStore) -> None:
    pending = alert("pending", seq=0, point=None, rule="quiet", value=None)
    await store.save(pending)
    assert await store.claim(alert(), "gw-a")
    loaded = {a.key: a for a in await store.load()}
    assert loaded[AlertKey("quiet", "room", None)] == pending
    assert loaded[AlertKey("hot", "room", "temp")] == alert()
    assert await store.current(AlertKey("hot", "room", "temp")) == alert()
    assert await store.current(AlertKey("nope", "room", None)) is None


async def test_a_transition_is_claimed_once(store: AlertStore) -> None:
    assert await store.claim(alert(), "gw-a")
    assert not await store.claim(alert(), "gw-b")
    assert await store.claim(alert("resolved", seq=2, value=20.0), "gw-b")
    assert [(a.state, a.seq) for a in await store.recent(10)] == [("resolved", 2), ("firing", 1)]
    assert [a.seq for a in await store.recent(1)] == [2]


async def test_a_lagging_save_never_overwrites_a_newer_state(store: AlertStore) -> None:
    key = AlertKey("hot", "room", "temp")
    assert await store.claim(alert(), "gw-a")
    await store.save(alert("pending", seq=0))  # a replica that has not fired yet
    assert await store.current(key) == alert()
    acked = alert(acknowledged_by="alice")
    await store.save(acked)  # same seq: an acknowledgement goes in
    assert await store.current(key) == acked


async def test_values_of_every_type_round_trip(store: AlertStore) -> None:
    for n, value in enumerate([True, False, 3, 2.25, None]):
        await store.save(alert("pending", seq=0, rule=f"r{n}", value=value))
    values = {a.rule: a.value for a in await store.load()}
    assert values == {"r0": True, "r1": False, "r2": 3, "r3": 2.25, "r4": None}
    assert isinstance(values["r0"], bool) and isinstance(values["r2"], int)


async def test_two_postgres_stores_racing_for_one_transition_claim_it_once(
    postgres_url: str,
) -> None:
    stores = [PostgresAlertStore(postgres_url, "a"), PostgresAlertStore(postgres_url, "b")]
    await asyncio.gather(*(s.open() for s in stores))  # racing schema creation too
    try:
        for seq in range(1, 21):
            won = await asyncio.gather(
                stores[0].claim(alert(seq=seq), "gw-a"), stores[1].claim(alert(seq=seq), "gw-b")
            )
            assert sorted(won) == [False, True], f"transition {seq}: {won}"
        assert len(await stores[0].recent(100)) == 20
    finally:
        for s in stores:
            await s.close()


async def test_two_sqlite_stores_on_one_file_claim_once(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    stores = [SqliteAlertStore(path), SqliteAlertStore(path)]
    for s in stores:
        await s.open()
    try:
        won = await asyncio.gather(*(s.claim(alert(), f"gw-{n}") for n, s in enumerate(stores)))
        assert sorted(won) == [False, True]
    finally:
        for s in stores:
            await s.close()


def test_the_history_url_picks_the_store(tmp_path: Path) -> None:
    assert isinstance(alert_store_for(None), MemoryAlertStore)
    assert isinstance(alert_store_for("none"), MemoryAlertStore)
    assert isinstance(alert_store_for(f"sqlite:///{tmp_path}/h.db"), SqliteAlertStore)
    pg = alert_store_for("postgresql://u:secret@127.0.0.1:5/db")
    assert isinstance(pg, PostgresAlertStore) and "secret" not in pg.description


async def test_undelivered_transitions_are_listed_until_marked(store: AlertStore) -> None:
    firing, resolved = alert(), alert("resolved", seq=2, value=20.0)
    assert await store.claim(firing, "gw-a")
    assert await store.claim(resolved, "gw-a")
    assert await store.claim(alert(rule="other"), "gw-b")
    assert await store.undelivered("gw-a", T0) == [firing, resolved]  # oldest first
    assert await store.undelivered("gw-a", T0 + 62) == [resolved]  # only since
    await store.delivered(firing)
    assert await store.undelivered("gw-a", T0) == [resolved]
    assert [a.rule for a in await store.undelivered("gw-b", T0)] == ["other"]
