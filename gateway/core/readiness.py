"""Is the gateway ready? Connected to the broker, and the broker's retained state loaded.

"Loaded" is detected with a marker: right after subscribing, the bridge publishes its own birth
(``online`` on ``<p>/_gateway/<id>/status``). The broker sends the retained messages of a new
subscription before anything published after it, so when the birth comes back to us *live* (retain
flag clear), every retained message has been delivered before it. If the marker does not come back
within ``marker_timeout`` the state counts as loaded anyway (logged), so readiness cannot stick.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger("gateway.core.readiness")


class BrokerReadiness:
    def __init__(self, marker_timeout: float = 5.0) -> None:
        self.marker_timeout = marker_timeout
        self.connected = False
        self.loaded = False
        self._loaded_once = asyncio.Event()
        self._marker_deadline: float | None = None

    @property
    def ready(self) -> bool:
        return self.connected and self.loaded

    def on_connected(self, now: float) -> None:
        self.connected = True
        self.loaded = False
        self._marker_deadline = now + self.marker_timeout

    def on_disconnected(self) -> None:
        self.connected = False
        self.loaded = False
        self._marker_deadline = None

    def on_marker(self) -> None:
        """Our own birth came back live: the retained state is in."""
        if self.connected:
            self.loaded = True
            self._marker_deadline = None
            self._loaded_once.set()

    def tick(self, now: float) -> None:
        if self._marker_deadline is not None and now >= self._marker_deadline:
            logger.warning(
                "the gateway's own birth message did not come back within %.0fs; "
                "taking the retained state as loaded",
                self.marker_timeout,
            )
            self.on_marker()

    async def wait_loaded(self, timeout: float) -> bool:
        """Wait (at most ``timeout``) until the retained state was loaded at least once."""
        if self._loaded_once.is_set():
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._loaded_once.wait()
        except TimeoutError:
            return False
        return True
