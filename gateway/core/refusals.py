"""HTTP requests and streams refused by a limit, counted by reason (metric ``requests_refused``).

The counterpart of :mod:`gateway.core.rejections` (refused MQTT messages) on the HTTP side: body, URL and
header limits, ``max_streams``, ``ws_origin``, ``rate_limit``. Plain integers: the metrics collector
reads them at scrape time.
"""

from __future__ import annotations


class Refusals:
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def count(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
