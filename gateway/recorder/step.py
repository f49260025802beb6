"""``step=auto``: the finest tier that answers a window in at most ``max_points``.

Raw is chosen when the window's readings (estimated from the hour buckets' counts: no scan) fit
and raw readings are still kept for the whole window; then 1-minute buckets when the window's
minutes fit and minute buckets are kept for all of it; else 1-hour buckets (capped at
``max_points``, the most recent, like every tier).
"""

from __future__ import annotations

from gateway.recorder.records import HOUR_MS, MINUTE_MS, Tier

DEFAULT_MAX_POINTS = 2_000
MAX_MAX_POINTS = 100_000


def auto_tier(
    *,
    start_ms: int,
    end_ms: int,
    max_points: int,
    raw_estimate: int,
    now_ms: int,
    raw_keep_ms: int,
    minute_keep_ms: int,
) -> Tier:
    """The tier for ``step=auto``."""
    if raw_estimate <= max_points and start_ms >= now_ms - raw_keep_ms:
        return Tier.RAW
    minutes = (end_ms - start_ms) // MINUTE_MS + 1
    if minutes <= max_points and start_ms >= now_ms - minute_keep_ms:
        return Tier.MINUTE
    if (end_ms - start_ms) // HOUR_MS + 1 > max_points and raw_estimate <= max_points:
        return Tier.RAW  # a window so long that even hours overflow, yet sparse: raw is finer
    return Tier.HOUR
