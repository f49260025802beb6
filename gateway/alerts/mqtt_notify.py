"""The MQTT notifier: the alert's JSON, retained at QoS 1, on ``pigw/_alerts/<rule>/<device>[/<point>]``
(CONTRACT.md v3). A resolved alert leaves its resolved JSON retained, so a subscriber that comes
later (Node-RED, Home Assistant) reads each alert's latest state.

The publish goes through the gateway's one MQTT client (:mod:`gateway.mqtt.bridge`), handed in as a
function: a broker that is away is a :class:`DeliveryFailed`, retried by the dispatcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from gateway.alerts.alert import Alert
from gateway.alerts.delivery import DeliveryFailed
from gateway.alerts.rules import MqttNotifier
from pigw.contract import Topics

#: ``(topic, payload)`` → published retained at QoS 1; raises when the broker is unavailable.
RetainedPublish = Callable[[str, bytes], Awaitable[None]]

PUBLISH_TIMEOUT = 10.0


class MqttSender:
    def __init__(self, notifier: MqttNotifier, topics: Topics, publish: RetainedPublish) -> None:
        self.name = notifier.name
        self._topics = topics
        self._publish = publish

    async def send(self, alert: Alert) -> None:
        topic = self._topics.alert(alert.rule, alert.device, alert.point)
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await self._publish(topic, alert.payload())
        except Exception as exc:  # the bridge's BrokerUnavailable, a timeout, a lost connection
            raise DeliveryFailed(f"publish to {topic}: {type(exc).__name__}: {exc}") from exc
