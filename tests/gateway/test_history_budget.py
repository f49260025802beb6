"""The budget over every in-memory history together (issue 17, item 5). Pure."""

from __future__ import annotations

from gateway.state import Registry
from gateway.state.budget import HistoryBudget
from pigw.contract import StateMessage, format_ts


def reading(seq: int) -> StateMessage:
    return StateMessage(
        value=float(seq), unit=None, ts=format_ts(1_795_000_000 + seq), seq=seq, boot="b"
    )


def fill(registry: Registry, device: str, points: int, readings: int, start: int = 1) -> None:
    seq = start
    for _ in range(readings):
        for p in range(points):
            registry.apply(device, f"p{p}", reading(seq), 0.0, live=True, role="sensor")
            seq += 1


def held(registry: Registry) -> int:
    return sum(len(h) for s in registry.devices.values() for h in s.histories.values())


def test_one_device_inventing_points_no_longer_fills_memory_past_the_budget() -> None:
    # Before: 1,024 points x 500 readings were all kept (107 MB); now the sum stays in budget.
    registry = Registry(history_size=500, history_budget=10_000)
    fill(registry, "d1", points=200, readings=100)
    assert held(registry) == registry.budget.held <= 10_000
    assert registry.budget.stats.evicted > 0
    # Every history keeps an equal share, the newest readings.
    lengths = {len(h) for h in registry.devices["d1"].histories.values()}
    assert max(lengths) <= registry.budget.limit <= 10_000 // 200
    newest = registry.devices["d1"].histories["p0"].query()[-1]
    assert newest.seq == 1 + 99 * 200


def test_removing_a_device_gives_its_share_back() -> None:
    registry = Registry(history_size=50, history_budget=1_000)
    fill(registry, "d1", points=40, readings=50)
    fill(registry, "d2", points=40, readings=50, start=10_000)
    shrunk = registry.budget.limit
    assert shrunk < 50 and registry.budget.held <= 1_000
    registry.remove("d2")
    assert registry.budget.held == held(registry)
    assert registry.budget.limit > shrunk


def test_a_budget_below_the_history_size_is_never_passed() -> None:
    budget = HistoryBudget(per_history=500, total=100)
    histories = []
    for _ in range(100):
        history = budget.open()
        assert history is not None
        histories.append(history)
    assert budget.open() is None and budget.stats.refused == 1
    for seq in range(1, 20):
        for history in histories:
            budget.add(history, seq, format_ts(seq), 1.0, lambda: histories)
            assert budget.held <= 100
