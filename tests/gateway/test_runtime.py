"""How a gateway run is identified to its streams."""

from __future__ import annotations

from gateway.hub.event import parse_event_id
from gateway.runtime import new_epoch


def test_replicas_started_in_the_same_millisecond_get_different_epochs() -> None:
    epochs = {new_epoch(now=1_764_000_000.123) for _ in range(50)}
    assert len(epochs) > 1  # 16 random bits: 50 draws colliding into one value cannot happen


def test_epoch_makes_event_ids_that_parse_back() -> None:
    epoch = new_epoch()
    parsed = parse_event_id(f"{epoch}-42")
    assert parsed is not None
    assert (parsed.epoch, parsed.n) == (epoch, 42)
