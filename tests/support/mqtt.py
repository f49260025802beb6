"""A plain paho-mqtt client for tests: publish, and record everything it receives.

It plays the part of "any other MQTT consumer" (Node-RED, Home Assistant, a script), so tests can
watch the public topics exactly as those consumers would.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties

from tests.support.waiting import wait_until

_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int
    properties: Properties | None


class Recorder:
    """A connected MQTT v5 client that keeps every message it receives, in order."""

    def __init__(self, host: str, port: int, client_id: str | None = None) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-recorder-{next(_ids)}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.on_connect = lambda *_: self._connected.set()
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        wait_until(self._connected.is_set, 10, "the test client to connect")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        with self._lock:
            self.messages.append(Received(msg.topic, msg.payload, bool(msg.retain), msg.qos, props))

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe(topic_filter, qos)
        wait_until(done.is_set, 10, f"SUBACK for {topic_filter}")

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 1,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> None:
        """Publish and wait until the broker has it (PUBACK for QoS 1)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(10)

    def on(self, topic: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, topic: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` messages arrived on ``topic``; return them all."""
        return wait_until(
            lambda: (found := self.on(topic)) and len(found) >= count and found,
            timeout,
            f"{count} message(s) on {topic}",
        )

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def recorder(host: str, port: int, *filters: str) -> Iterator[Recorder]:
    """A :class:`Recorder` subscribed to ``filters``, disconnected afterwards."""
    client = Recorder(host, port)
    try:
        for topic_filter in filters:
            client.subscribe(topic_filter)
        yield client
    finally:
        client.close()
