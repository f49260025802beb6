"""The agent's only MQTT module: a paho client with the agent's own reconnect loop.

Threads: paho's network thread (``loop_start``) runs paho's callbacks; each of them does nothing
but hand its event to the agent's asyncio loop with ``loop.call_soon_threadsafe``. Publishing
happens on the agent's loop (paho's ``publish`` is thread-safe and wakes the network thread).

Connecting: MQTT 5 with ``clean_start=False`` and a session expiry (a short outage loses no QoS 1
message in either direction); a broker that answers "unsupported protocol version" gets MQTT 3.1.1
with ``clean_session=False`` from then on. paho's own reconnect is off (``reconnect_on_failure``):
this module reconnects with exponential backoff and jitter, which paho does not offer.

Failover (issue 19): with several ``--mqtt-url`` (the nodes of one cluster), every lost or failed
connection moves on to the next URL, round robin, on the same paho client, so the QoS 1 messages
paho has not seen acknowledged are sent again to the new node, and the persistent session (kept by
the cluster, not by a node) hands over what arrived meanwhile. A cluster that is electing new
leaders may hold a resumed session's CONNACK for ~10 s (NATS, docs/scale-out.md): that is well
inside the keepalive paho waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from device_agent.settings import AgentSettings
from pigw.backoff import Backoff
from pigw.contract import OFFLINE

log = logging.getLogger(__name__)

_UNSUPPORTED_PROTOCOL = 132  # MQTT 5 CONNACK reason "Unsupported Protocol Version" (3.1.1: rc 1)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message for the agent, with the MQTT 5 request/response properties when present."""

    topic: str
    payload: bytes
    retain: bool
    response_topic: str | None = None
    correlation_data: bytes | None = None
    #: MQTT 5 message expiry interval left (seconds): the sender bounded how long it may wait
    expiry: int | None = None


@dataclass(frozen=True, slots=True)
class LinkHandlers:
    """What the agent does on each event; all are called on the agent's loop."""

    connected: Callable[[], None]
    disconnected: Callable[[], None]
    message: Callable[[Incoming], None]
    published: Callable[[int, bool], None]  # (mid, accepted by the broker)
    #: the SUBACK of the subscriptions made on connect
    subscribed: Callable[[], None] = lambda: None


class MqttLink:
    """One broker connection for one device (client id ``pigw-agent-<device>``)."""

    def __init__(
        self,
        settings: AgentSettings,
        *,
        device_id: str,
        status_topic: str,
        subscriptions: list[str],
        handlers: LinkHandlers,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.settings = settings
        self.client_id = f"pigw-agent-{device_id}"
        self.status_topic = status_topic
        self.subscriptions = subscriptions
        self.handlers = handlers
        self.loop = loop
        self.protocol = paho.MQTTv5
        self.connected = False
        self.session_present = False  # the last CONNACK resumed a session (it may hold a backlog)
        self.connects = 0
        self.generation = 0  # +1 per paho client object: message ids of an old one mean nothing
        self.backoff = Backoff(settings.mqtt_backoff_min, settings.mqtt_backoff_max)
        self.brokers = settings.brokers
        self.broker_index = 0  # which of --mqtt-url this (or the next) connection is to
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._replace_client = False
        self._lost = asyncio.Event()
        self._client = self._make_client()

    # --- the paho client --------------------------------------------------------------------
    def _make_client(self) -> paho.Client:
        self.generation += 1
        v5 = self.protocol == paho.MQTTv5
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.protocol,
            clean_session=None if v5 else False,
            reconnect_on_failure=False,
        )
        client.will_set(self.status_topic, OFFLINE, qos=1, retain=True)
        client.max_inflight_messages_set(self.settings.mqtt_max_inflight)
        client.max_queued_messages_set(self.settings.mqtt_max_queued)
        context = self.settings.tls_context()
        if context is not None:
            client.tls_set_context(context)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        return client

    def _connect_blocking(self) -> None:
        # Runs in a worker thread: DNS, TCP and TLS handshakes may take seconds.
        broker = self.brokers[self.broker_index]
        if self.settings.mqtt_username is not None:
            self._client.username_pw_set(self.settings.mqtt_username, self.settings.mqtt_password())
        if self.protocol == paho.MQTTv5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.settings.mqtt_session_expiry
            self._client.connect(
                broker.host,
                broker.port,
                self.settings.mqtt_keepalive,
                clean_start=False,
                properties=props,
            )
        else:
            self._client.connect(broker.host, broker.port, self.settings.mqtt_keepalive)

    # --- paho's thread: hand over and return --------------------------------------------------
    def _on_connect(
        self, client: paho.Client, _u: Any, flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if reason.is_failure:
            self.loop.call_soon_threadsafe(self._refused, reason.value, str(reason))
            return
        if self.protocol == paho.MQTTv5:
            # retainAsPublished: a retained /set published while we are subscribed keeps its retain
            # flag (MQTT 5.0 §3.8.3.1), so it is refused like one delivered at subscribe time.
            options = SubscribeOptions(qos=1, retainAsPublished=True)
            client.subscribe([(topic, options) for topic in self.subscriptions])
        else:
            client.subscribe([(topic, 1) for topic in self.subscriptions])
        self.loop.call_soon_threadsafe(self._up, bool(flags.session_present))

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.loop.call_soon_threadsafe(self._down, str(reason))

    def _on_message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        response = getattr(props, "ResponseTopic", None) if props is not None else None
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        expiry = getattr(props, "MessageExpiryInterval", None) if props is not None else None
        incoming = Incoming(
            msg.topic, bytes(msg.payload), bool(msg.retain), response, correlation, expiry
        )
        self.loop.call_soon_threadsafe(self.handlers.message, incoming)

    def _on_subscribe(self, _c: paho.Client, _u: Any, _mid: int, _codes: Any, _p: Any) -> None:
        self.loop.call_soon_threadsafe(self.handlers.subscribed)

    def _on_publish(self, _c: paho.Client, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        self.loop.call_soon_threadsafe(self.handlers.published, mid, not reason.is_failure)

    # --- the agent's loop ---------------------------------------------------------------------
    def _up(self, session_present: bool) -> None:
        self.connected = True
        self.session_present = session_present
        self.connects += 1
        self.backoff.reset()
        log.info("connected to the broker", extra={"broker": self.broker_url})
        self.handlers.connected()

    def _down(self, reason: str) -> None:
        was = self.connected
        self.connected = False
        self._lost.set()
        if was:
            if self._stopping:
                log.info("disconnected from the broker")
            else:
                log.warning("lost the broker: %s", reason)
            self.handlers.disconnected()

    def _refused(self, code: int, reason: str) -> None:
        if code in (_UNSUPPORTED_PROTOCOL, 1) and self.protocol == paho.MQTTv5:
            log.warning("the broker does not speak MQTT 5; using 3.1.1 with a persistent session")
            self.protocol = paho.MQTTv311
            self._replace_client = True
        else:
            log.error("the broker refused the connection: %s", reason)
        self._lost.set()

    @property
    def broker_url(self) -> str:
        return self.settings.mqtt_url[self.broker_index]

    def _next_broker(self) -> None:
        """After a loss or a failed attempt: the next node of the cluster (no-op with one URL)."""
        if len(self.brokers) > 1:
            self.broker_index = (self.broker_index + 1) % len(self.brokers)
            log.info("trying the next broker", extra={"broker": self.broker_url})

    async def run(self) -> None:
        """Connect, and reconnect after every loss, until :meth:`close`."""
        while not self._stopping:
            self._lost = asyncio.Event()
            try:
                await self.loop.run_in_executor(None, self._connect_blocking)
            except (OSError, ssl.SSLError, ValueError) as exc:
                delay = self.backoff.next_delay()
                log.warning(
                    "cannot reach the broker %s (%s); retrying in %.1fs",
                    self.broker_url,
                    exc,
                    delay,
                )
                self._next_broker()
                await self._sleep(delay)
                continue
            self._client.loop_start()
            await self._lost.wait()
            await self.loop.run_in_executor(None, self._client.loop_stop)
            if self._replace_client:
                # A protocol fallback retries the same node; anything else moves on.
                self._replace_client = False
                self._client = self._make_client()
            elif not self._stopping:
                self._next_broker()
            if not self._stopping:
                await self._sleep(self.backoff.next_delay())

    async def _sleep(self, delay: float) -> None:
        # Wakes early when close() is called.
        try:
            await asyncio.wait_for(self._stop_event.wait(), timeout=delay)
        except TimeoutError:
            return

    def publish(
        self,
        topic: str,
        payload: bytes,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> int | None:
        """Publish at QoS 1; the message id, or ``None`` when paho refused it (queue full, or a
        topic it cannot publish to: paho raises ``ValueError`` for a wildcard or empty topic)."""
        try:
            info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        except ValueError as exc:
            log.warning("cannot publish on %r: %s", topic[:128], exc)
            return None
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            log.warning("paho refused a publish on %s: %s", topic, paho.error_string(info.rc))
            return None
        return info.mid

    @staticmethod
    def response_properties(correlation_data: bytes | None) -> Properties:
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if correlation_data is not None:
            props.CorrelationData = correlation_data
        return props

    def disconnect(self) -> None:
        """A clean DISCONNECT (no Last Will): call after publishing ``offline`` yourself."""
        self._stopping = True
        self._stop_event.set()
        if self.connected:
            self._client.disconnect()
        else:
            self._lost.set()
