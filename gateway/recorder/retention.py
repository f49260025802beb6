"""Retention: which tiers' rows to delete now, oldest first, in small chunks.

Raw readings older than ``--history-raw-days`` and minute buckets older than
``--history-minute-days`` go; hour buckets stay until the store passes ``--history-max-mb``. Then
the oldest rows go, raw first, then minute buckets, then hour buckets (the coarse history of a year
outlives the fine detail of a week). Each step deletes at most ``chunk_rows`` rows per tier, so a
large purge is many short transactions between the writer's batches, never one long lock (the
failure of Home Assistant's nightly purge: home-assistant/core#117263).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.recorder.records import HOUR_MS, Tier
from gateway.recorder.store import RetentionLimits

#: Under the size limit, an oldest-first deletion takes this much of the oldest tier per step.
TRIM_SPAN_MS = HOUR_MS


@dataclass(frozen=True, slots=True)
class Deletion:
    """Delete rows of ``tier`` whose ``ts`` is before ``before_ms`` (at most a chunk)."""

    tier: Tier
    before_ms: int


def plan_retention(
    limits: RetentionLimits,
    now_ms: int,
    bytes_used: int,
    oldest: Mapping[Tier, int | None],
) -> list[Deletion]:
    """The deletions of one retention step. ``oldest``: each tier's oldest ``ts`` (None: empty)."""
    plan: list[Deletion] = []
    raw_cut = now_ms - limits.raw_ms
    minute_cut = now_ms - limits.minute_ms
    oldest_raw, oldest_minute = oldest.get(Tier.RAW), oldest.get(Tier.MINUTE)
    if oldest_raw is not None and oldest_raw < raw_cut:
        plan.append(Deletion(Tier.RAW, raw_cut))
    if oldest_minute is not None and oldest_minute < minute_cut:
        plan.append(Deletion(Tier.MINUTE, minute_cut))
    if bytes_used > limits.max_bytes:
        for tier in (Tier.RAW, Tier.MINUTE, Tier.HOUR):
            first = oldest.get(tier)
            if first is not None:
                plan.append(Deletion(tier, first + TRIM_SPAN_MS))
                break
    return plan
