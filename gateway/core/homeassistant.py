"""Home Assistant discovery published by the gateway (``--ha-discovery``; issue 17, item 4).

Why the gateway and not the device: the broker's ACL can limit *which* discovery topic a device
writes, not *what* it says there. A compromised device could announce an entity whose
``command_topic`` is another device's ``/set``, and Home Assistant (whose account may write every
``/set``) would then command that other device for it. The gateway builds each device's document
from the meta it validated, with every topic made from the device's own id
(:func:`pigw.contract.discovery.discovery_document`), so in the production ACL devices lose their
``homeassistant/…`` write right and only the gateway's account has it (docs/security.md).

Policy: one pending document per device, the newest wins (bounded by the registry's device limit);
documents are published retained at QoS 1 by one task, a failed publish is retried every
:data:`RETRY` seconds; a removed device's document is cleared (an empty retained payload). The meta
and the document only change when the device's meta does, so a reconnect publishes nothing again:
the broker keeps the retained documents.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from gateway.mqtt.bridge import BrokerUnavailable
from pigw.contract import DeviceMeta, Topics
from pigw.contract.discovery import discovery_document

logger = logging.getLogger("gateway.core.homeassistant")

#: Seconds between attempts while the broker does not take a document.
RETRY: Final = 5.0

PublishRetained = Callable[[str, bytes], Awaitable[None]]


@dataclass(slots=True)
class DiscoveryStats:
    published: int = 0  # documents (and clearings) the broker took
    failed: int = 0  # attempts the broker did not take (retried)


class HomeAssistantDiscovery:
    """Turns meta changes into retained discovery documents, one task publishing them."""

    def __init__(self, topics: Topics, publish: PublishRetained, sw_version: str) -> None:
        self.topics = topics
        self._publish = publish
        self._sw_version = sw_version
        self.pending: dict[str, bytes] = {}
        self._wake = asyncio.Event()
        self.stats = DiscoveryStats()

    def meta_changed(self, device: str, meta: DeviceMeta | None) -> None:
        """The registry holds a new meta for ``device`` (``None``: the device was removed)."""
        if meta is None:
            self.pending[device] = b""
        else:
            document = discovery_document(meta, self.topics, self._sw_version)
            self.pending[device] = json.dumps(document, separators=(",", ":")).encode()
        self._wake.set()

    async def run(self) -> None:
        """Publish pending documents until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.pending:
                device = next(iter(self.pending))
                payload = self.pending.pop(device)
                try:
                    async with asyncio.timeout(10):
                        await self._publish(self.topics.discovery(device), payload)
                except (BrokerUnavailable, TimeoutError):
                    self.stats.failed += 1
                    self.pending.setdefault(device, payload)  # unless a newer one came meanwhile
                    await asyncio.sleep(RETRY)
                    continue
                self.stats.published += 1
                logger.info(
                    "published Home Assistant discovery",
                    extra={"device": device, "cleared": not payload},
                )
