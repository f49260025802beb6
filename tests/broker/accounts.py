"""An MQTT 5 client that logs in as one broker account and reports what the broker answered.

The production broker says "no" in three ways, and the tests need to see each one: a refused
CONNECT (CONNACK reason code), a refused publish (PUBACK "not authorized", MQTT 5.0 §3.4.2.1), and a
read that is silently never delivered. :class:`Account` records all three.
"""

from __future__ import annotations

import itertools
import ssl
import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.support.waiting import wait_until

_ids = itertools.count()

#: CONNACK reasons Mosquitto gives for a bad or missing password (2.0.11 answers 135 to both; the
#: spec's 134 "bad user name or password" is what a newer broker may send).
LOGIN_REFUSED = frozenset({134, 135})
NOT_AUTHORIZED = 135  # PUBACK reason code, MQTT 5.0 §3.4.2.1


@dataclass(frozen=True, slots=True)
class Delivered:
    topic: str
    payload: bytes


class _ClosingSSLSocket(ssl.SSLSocket):
    """Closes itself when the handshake fails. paho 2.2 (``_ssl_wrap_socket``) drops the socket
    without closing it when ``do_handshake`` raises, which pytest reports as a ResourceWarning."""

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except BaseException:
            self.close()
            raise


class LoginRefused(AssertionError):
    """The broker refused the CONNECT; ``reason`` is the CONNACK reason code."""

    def __init__(self, reason: ReasonCode) -> None:
        super().__init__(f"the broker refused the login: {reason} ({reason.value})")
        self.reason = reason


class Account:
    """A connected paho v5 client logged in as ``username`` (or anonymous), optionally over TLS."""

    def __init__(
        self,
        port: int,
        username: str | None = None,
        password: str | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        client_id: str | None = None,
        session_expiry: int | None = None,
    ) -> None:
        """Connect and wait for the CONNACK; raise :class:`LoginRefused` if it says no.

        With ``session_expiry`` (seconds) the client asks for a persistent session (clean start
        off), as the gateway does, so the broker queues QoS 1 messages while it is away."""
        self.username = username
        self.messages: list[Delivered] = []
        self._lock = threading.Lock()
        self._connack: list[ReasonCode] = []
        self._pubacks: dict[int, ReasonCode] = {}
        self._subacks: dict[int, list[ReasonCode]] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-{username or 'anonymous'}-{next(_ids)}",
            protocol=mqtt.MQTTv5,
            # A refused login must end the client, not start paho's retry loop.
            reconnect_on_failure=False,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            tls.sslsocket_class = _ClosingSSLSocket
            self.client.tls_set_context(tls)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        # A TLS failure raises here, in the handshake, before any MQTT packet.
        properties = None
        if session_expiry is not None:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = session_expiry
        self.client.connect(
            host,
            port,
            keepalive=30,
            clean_start=session_expiry is None,
            properties=properties,
        )
        self.client.loop_start()
        reason = wait_until(lambda: self._connack and self._connack[0], 10, "CONNACK")
        if reason.is_failure:
            self.close()
            raise LoginRefused(reason)

    # paho callbacks, on paho's thread
    def _on_connect(
        self, _c: object, _u: object, _f: object, reason: ReasonCode, _p: object
    ) -> None:
        with self._lock:
            self._connack.append(reason)

    def _on_publish(self, _c: object, _u: object, mid: int, reason: ReasonCode, _p: object) -> None:
        with self._lock:
            self._pubacks[mid] = reason

    def _on_subscribe(
        self, _c: object, _u: object, mid: int, reasons: list[ReasonCode], _p: object
    ) -> None:
        with self._lock:
            self._subacks[mid] = reasons

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Delivered(message.topic, message.payload))

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> ReasonCode:
        """Publish at QoS 1 and return the PUBACK's reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return wait_until(lambda: self._pubacks.get(info.mid), 10, f"PUBACK for {topic}")

    def subscribe(self, topic_filter: str) -> list[ReasonCode]:
        """Subscribe at QoS 1 and return the SUBACK's reason codes."""
        _, mid = self.client.subscribe(topic_filter, qos=1)
        assert mid is not None
        return wait_until(lambda: self._subacks.get(mid), 10, f"SUBACK for {topic_filter}")

    def on(self, topic: str) -> list[Delivered]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, topic: str, timeout: float = 10.0) -> list[Delivered]:
        """Block until something arrived on ``topic``; return everything that did."""
        return wait_until(lambda: self.on(topic), timeout, f"a message on {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
