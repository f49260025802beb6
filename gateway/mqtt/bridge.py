"""The gateway's only MQTT client (aiomqtt): connect, subscribe, hand messages to the intake,
publish commands and replay requests. Nothing else in the gateway imports aiomqtt.

The session is persistent (MQTT 5: clean start off, a session expiry, a fixed client id
``pigw-gateway-<gateway-id>``), so QoS 1 messages published while the gateway was briefly away are
kept by the broker and delivered on reconnect. The gateway's availability is retained on
``<p>/_gateway/<id>/status``: ``online`` after every connect (the birth, which doubles as the
"retained state loaded" marker, see :mod:`gateway.core.readiness`), ``offline`` as the Last Will and on a
clean shutdown (a clean disconnect sends no Will).

Reconnects back off exponentially with jitter (0.5 s doubling to 30 s, each delay uniform in
[base/2, base]: :mod:`pigw.backoff`), so a fleet of gateways does not hammer a broker that
comes back.

MQTT 3.1.1 (issue 19): a broker that refuses the MQTT 5 CONNECT ("unsupported protocol version",
or 3.1.1's return code 1, as NATS and other 3.1.1-only brokers answer) gets MQTT 3.1.1 from then
on, with ``clean_session=False`` and the same fixed client id, so the session is still persistent;
its lifetime is the broker's to decide (3.1.1 has no session expiry). Nothing else changes: the
gateway uses no MQTT 5 property on the wire (commands carry their ``cid`` in the JSON payload, the
agent's ack names it), and the retain flag of a live message is clear in both versions.

Failover (issue 19): with several ``--mqtt-url`` (the nodes of one cluster), a lost or failed
connection moves on to the next URL, round robin, with the backoff above between attempts; the
persistent session lives in the cluster, so the node the gateway comes back on hands over every QoS
1 message published meanwhile. A clustered broker may hold a resumed session's CONNACK while it
elects new leaders (NATS: ~10 s after a node is killed), so the CONNACK wait is
:data:`CONNECT_TIMEOUT` (so are the SUBACK and the birth's PUBACK, which need the cluster's
retained-message and session stores), not the 10 s a command's PUBACK gets.

Intake without a queue (issue 7, measured in ``docs/events.md``): aiomqtt's message iterator
creates a task and an ``asyncio.wait`` per message, so at most one message is taken in per loop
turn, and its socket callback reads one MQTT packet per readiness event. Both defeat the hub's
batching (a burst becomes many one-event fan-outs): with 1,000 streams the gateway topped out at
~40k deliveries/s. So the bridge (a) hands each message to the intake synchronously from aiomqtt's
``on_message`` through ``queue_type`` (there is no queue to bound: the intake never blocks, and
backpressure is the socket and the broker's per-session queue), and (b) drains every packet the
socket has in one callback, so a burst lands in the ring within one loop turn and streams get it as
one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import aiomqtt
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.core.readiness import BrokerReadiness
from gateway.settings import GatewaySettings
from pigw.backoff import Backoff
from pigw.contract import ONLINE, Topics, encode_availability

logger = logging.getLogger("gateway.mqtt")

#: ``(topic, payload, retained)`` -> None; must not raise (the intake counts bad input).
MessageSink = Callable[[str, bytes, bool], None]
#: Called with True after every (re)connect and False after every loss.
ConnectionSink = Callable[[bool], None]


class BrokerUnavailable(Exception):
    """The gateway is not connected to the broker right now (:meth:`Bridge.publish`)."""


MIN_BACKOFF = 0.5
MAX_BACKOFF = 30.0
#: A connection that lasted at least this long resets the backoff.
STABLE_AFTER = 10.0
#: How long to wait for the answers that set a session up (CONNACK, SUBACK, the birth's PUBACK):
#: a cluster electing leaders holds them ~10 s (see above) ...
CONNECT_TIMEOUT = 30.0
#: ... and for every other answer (a command's PUBACK).
REQUEST_TIMEOUT = 10.0
#: CONNACK codes that mean "not MQTT 5": 5.0's "unsupported protocol version", 3.1.1's rc 1.
_NOT_MQTT5 = (132, 1)


#: Most MQTT packets read in one socket callback (then other work gets a turn).
MAX_PACKETS_PER_READ = 512
#: Longest one socket callback keeps reading (seconds). A ``backlog`` message carries up to 1,000
#: readings (~35 ms of intake work each on a loaded Pi-class core), so 512 of them would hold the
#: loop for seconds: the recorder's writer, the streams and the HTTP routes would get no turn, and
#: the history queue would overflow behind a month's backlog (issue 14's benchmark).
MAX_READ_SECONDS = 0.005


def _sink_queue(sink: Callable[[aiomqtt.Message], None]) -> type[asyncio.Queue[aiomqtt.Message]]:
    """A "queue" class for aiomqtt's ``queue_type`` that hands every message to ``sink`` at once."""

    class SinkQueue(asyncio.Queue[aiomqtt.Message]):
        def put_nowait(self, item: aiomqtt.Message) -> None:
            sink(item)

    return SinkQueue


class _NoFilteredCallbacks:
    """Stands in for paho's per-topic callback table, which nobody here fills (aiomqtt and the
    gateway use the one ``on_message``). paho looks every incoming message up in that table; the
    lookup builds a recursive generator whose closure refers to itself, i.e. a reference cycle per
    message that only the cyclic garbage collector frees (measured: ~130 bytes per message
    waiting for a collection, several MB at high rates, and the topic split costs CPU)."""

    def iter_match(self, topic: str) -> tuple[()]:
        return ()


class _DrainingClient(aiomqtt.Client):
    """aiomqtt's client, reading every packet the socket holds per readiness callback.

    aiomqtt 2.5's callback calls paho's ``loop_read()`` once, which reads one packet; we register
    our own callback for the same socket right after aiomqtt's (``add_reader`` replaces it) that
    calls ``loop_read()`` until a call delivers no new message. Relies on aiomqtt 2.5 internals
    (``_on_socket_open``, ``_disconnected``), hence the ``<2.6`` pin in pyproject.toml. Also
    skips paho's per-message topic lookup for filtered callbacks (:class:`_NoFilteredCallbacks`,
    paho 2's ``_on_message_filtered``)."""

    delivered = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client._on_message_filtered = _NoFilteredCallbacks()  # type: ignore[assignment]

    def _on_socket_open(self, client: Any, userdata: Any, sock: Any) -> None:
        super()._on_socket_open(client, userdata, sock)
        pending = getattr(sock, "pending", None)  # TLS: decrypted bytes the socket cannot signal

        def drain() -> None:
            try:
                until = time.monotonic() + MAX_READ_SECONDS
                for _ in range(MAX_PACKETS_PER_READ):
                    before = self.delivered
                    client.loop_read()
                    tls_pending = pending is not None and pending() > 0
                    if self.delivered == before and not tls_pending:
                        break
                    if not tls_pending and time.monotonic() >= until:
                        break  # the socket stays readable: the next turn goes on reading
            except Exception as exc:  # noqa: BLE001 - handed to aiomqtt, which raises MqttError
                if not self._disconnected.done():
                    self._disconnected.set_exception(exc)

        self._loop.call_soon_threadsafe(self._loop.add_reader, sock.fileno(), drain)


class Bridge:
    def __init__(
        self,
        settings: GatewaySettings,
        topics: Topics,
        readiness: BrokerReadiness,
        on_message: MessageSink,
        on_connection: ConnectionSink,
    ) -> None:
        self.settings = settings
        self.topics = topics
        self.readiness = readiness
        self.client_id = f"pigw-gateway-{settings.resolved_gateway_id}"
        self.status_topic = topics.gateway_status(settings.resolved_gateway_id)
        self.connects = 0
        self._on_message = on_message
        self._on_connection = on_connection
        self._client: aiomqtt.Client | None = None
        self._draining: _DrainingClient | None = None
        self.protocol = aiomqtt.ProtocolVersion.V5
        self.broker_index = 0  # which of --mqtt-url the current (or next) connection is to

    @property
    def connected(self) -> bool:
        return self._client is not None

    def _deliver(self, message: aiomqtt.Message) -> None:
        client = self._draining
        if client is not None:
            client.delivered += 1
        topic = message.topic.value
        payload = message.payload
        if not isinstance(payload, bytes):
            payload = b"" if payload is None else str(payload).encode()
        if topic == self.status_topic and not message.retain and payload == ONLINE:
            self.readiness.on_marker()
        try:
            self._on_message(topic, payload, bool(message.retain))
        except Exception:
            # A bug, not bad input (the intake counts that): log it, keep the connection.
            logger.exception("internal error handling a message", extra={"topic": topic})

    @property
    def broker_url(self) -> str:
        return self.settings.mqtt_url[self.broker_index]

    def _make_client(self) -> _DrainingClient:
        address = self.settings.brokers[self.broker_index]
        if self.protocol == aiomqtt.ProtocolVersion.V5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self.settings.session_expiry
            session: dict[str, Any] = {"clean_start": False, "properties": properties}
        else:
            session = {"clean_session": False}  # 3.1.1: persistent, the broker's lifetime
        return _DrainingClient(
            address.host,
            address.port,
            username=self.settings.mqtt_username,
            password=self.settings.mqtt_password(),
            identifier=self.client_id,
            protocol=self.protocol,
            **session,
            keepalive=self.settings.mqtt_keepalive,
            will=aiomqtt.Will(self.status_topic, encode_availability(False), qos=1, retain=True),
            tls_context=self.settings.tls_context(),
            queue_type=_sink_queue(self._deliver),
            timeout=CONNECT_TIMEOUT,
            logger=logging.getLogger("gateway.mqtt.client"),
        )

    def _not_mqtt5(self, exc: aiomqtt.MqttError) -> bool:
        if self.protocol != aiomqtt.ProtocolVersion.V5 or not isinstance(exc, MqttConnectError):
            return False
        code = exc.rc if isinstance(exc.rc, int) or exc.rc is None else exc.rc.value
        return code in _NOT_MQTT5

    async def run(self) -> None:
        """Stay connected until cancelled."""
        backoff = Backoff(MIN_BACKOFF, MAX_BACKOFF)
        client = self._draining = self._make_client()
        while True:
            started, connects_before = time.monotonic(), self.connects
            try:
                await self._session(client)
            except aiomqtt.MqttError as exc:
                lasted = time.monotonic() - started
                if lasted >= STABLE_AFTER:
                    backoff.reset()
                if self._not_mqtt5(exc):
                    logger.warning(
                        "the broker does not speak MQTT 5; using 3.1.1 with a persistent session",
                        extra={"mqtt": self.broker_url},
                    )
                    self.protocol = aiomqtt.ProtocolVersion.V311
                    client = self._draining = self._make_client()  # the same node, at once
                    continue
                hint = ""
                # Only a connection that was made and then dropped at once (not a refused or
                # failed attempt, as when a cluster node is down) points at a client id clash.
                if 0 < lasted < 2 and self.connects > max(1, connects_before):
                    hint = " (right after connecting: does another gateway use this --gateway-id?)"
                logger.warning(
                    "broker connection: %s%s", exc, hint, extra={"mqtt": self.broker_url}
                )
                if len(self.settings.mqtt_url) > 1:
                    self.broker_index = (self.broker_index + 1) % len(self.settings.mqtt_url)
                    logger.info("trying the next broker", extra={"mqtt": self.broker_url})
                    client = self._draining = self._make_client()
            await asyncio.sleep(backoff.next_delay())

    async def _session(self, client: aiomqtt.Client) -> None:
        async with client:
            self.connects += 1
            try:
                # Setting the session up may wait for a cluster's leader election too.
                await client.subscribe(self.topics.all_filter(), qos=1, timeout=CONNECT_TIMEOUT)
                self._client = client
                self.readiness.on_connected(time.monotonic())
                logger.info(
                    "connected to the broker",
                    extra={
                        "mqtt": self.broker_url,
                        "client_id": self.client_id,
                        "protocol": "5" if self.protocol == aiomqtt.ProtocolVersion.V5 else "3.1.1",
                    },
                )
                self._on_connection(True)
                await client.publish(
                    self.status_topic, ONLINE, qos=1, retain=True, timeout=CONNECT_TIMEOUT
                )
                # Messages go to the intake as they arrive (_deliver); this only waits for the
                # connection to end (MqttError).
                async for _ in client.messages:
                    pass
            except asyncio.CancelledError:
                # A clean disconnect sends no Will: say "offline" ourselves, briefly.
                with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                    async with asyncio.timeout(2):
                        await client.publish(
                            self.status_topic, encode_availability(False), qos=1, retain=True
                        )
                raise
            finally:
                if self._client is not None:
                    self._client = None
                    self.readiness.on_disconnected()
                    self._on_connection(False)

    async def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """QoS 1, not retained unless asked; waits for the broker's PUBACK.
        :class:`BrokerUnavailable` when not connected."""
        client = self._client
        if client is None:
            raise BrokerUnavailable
        try:
            await client.publish(topic, payload, qos=1, retain=retain, timeout=REQUEST_TIMEOUT)
        except aiomqtt.MqttError as exc:
            raise BrokerUnavailable from exc
