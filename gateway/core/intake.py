"""From one MQTT message to state changes and events: parse, check, update, publish.

Every message is taken apart by :mod:`pigw.contract` (topic and payload). Anything the contract
refuses is counted by reason and logged with its topic (:mod:`gateway.core.rejections`), never passed
on, never fatal. Pure: the MQTT bridge calls :meth:`Intake.handle` with a topic, payload and retain
flag, and everything else here is the registry, the seq tracker, the hub and pending commands.

Clearing a retained ``meta`` or ``status`` (an empty payload, what ``mosquitto_pub -r -n`` sends)
removes the device: that is how an operator decommissions one, and the dashboard drops it (a
``meta`` event with ``"meta": null, "removed": true``). Empty payloads on other topics are the rest
of such a clean-up and are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.core.commands import Commands
from gateway.core.rejections import Rejections
from gateway.hub import Hub
from gateway.hub.encoding import reading_json
from gateway.state import GapTracker, Registry, Seen
from gateway.state.registry import PointRole
from pigw.contract import (
    ContractError,
    DeviceMeta,
    StateMessage,
    TopicKind,
    Topics,
    Value,
    decode_ack,
    decode_availability,
    decode_backlog,
    decode_meta,
    decode_state,
)


class ReadingSink(Protocol):
    """Where every accepted state message also goes: the recorder (issue 14). ``record`` must
    return at once (the recorder queues it); it is called on the event loop for each one."""

    def record(self, device: str, role: PointRole, point: str, message: StateMessage) -> None: ...


@dataclass(slots=True)
class IntakeStats:
    messages: dict[str, int] = field(default_factory=dict)  # by topic kind
    duplicates: int = 0  # (device, seq) seen before: dropped
    removed: int = 0  # devices removed by clearing their retained meta/status


class StateListener(Protocol):
    """Told of every state message and status the intake accepted, after the hub heard of it
    (the alerts, :mod:`gateway.alerts.service`). Must not raise and must not block."""

    def reading(self, device: str, point: str, value: Value, ts: str, *, past: bool) -> None:
        """``past``: a backlog or replayed (``hist``) or a retained state."""

    def status(self, device: str, online: bool) -> None: ...

    def removed(self, device: str) -> None:
        """The device was removed (its retained meta or status cleared on the broker)."""


class Intake:
    def __init__(
        self,
        *,
        topics: Topics,
        registry: Registry,
        gaps: GapTracker,
        hub: Hub,
        commands: Commands,
        rejections: Rejections,
        history: ReadingSink | None = None,
        meta_changed: Callable[[str, DeviceMeta | None], None] | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        listeners: tuple[StateListener, ...] = (),
    ) -> None:
        self.topics = topics
        self.history = history
        self.registry = registry
        self.gaps = gaps
        self.hub = hub
        self.commands = commands
        self.rejections = rejections
        #: Told of every new meta of a device (``None`` when it is removed): the gateway's Home
        #: Assistant discovery (``--ha-discovery``).
        self.meta_changed = meta_changed
        self.stats = IntakeStats()
        self._clock = clock
        self._monotonic = monotonic
        self.listeners = listeners

    def handle(self, topic: str, payload: bytes, retained: bool) -> None:
        """Take one MQTT message in. Never raises for bad input."""
        try:
            parsed = self.topics.parse(topic)
            messages = self.stats.messages
            messages[parsed.kind] = messages.get(parsed.kind, 0) + 1
            kind = parsed.kind
            if kind is TopicKind.STATE:
                if payload:
                    assert parsed.point is not None
                    self._state(parsed.device, parsed.point, decode_state(payload), retained)
            elif kind is TopicKind.BACKLOG:
                for entry in decode_backlog(payload):
                    role: PointRole = "sensor" if entry.sensor is not None else "actuator"
                    try:
                        self._state(parsed.device, entry.point, entry, False, hist=True, role=role)
                    except ContractError as exc:  # one refused entry, not the whole batch
                        self.rejections.reject(topic, exc)
            elif kind is TopicKind.STATUS:
                self._status(parsed.device, payload, retained)
            elif kind is TopicKind.META:
                self._meta(parsed.device, payload)
            elif kind is TopicKind.ACK:
                assert parsed.point is not None
                self._ack(parsed.device, parsed.point, payload)
            elif kind is TopicKind.AVAILABILITY and payload:
                decode_availability(payload)  # checked; the contract's views do not show it
            # SET and REPLAY are commands to devices (ours or another controller's), and
            # GATEWAY_STATUS is a gateway's availability: nothing for the device state.
        except ContractError as exc:
            self.rejections.reject(topic, exc)

    def broker(self, connected: bool) -> None:
        """The gateway lost or regained the broker: every stream hears it, and on a reconnect
        every open seq gap is asked for again (see :meth:`GapTracker.rearm`)."""
        if connected:
            self.gaps.rearm(self._monotonic())
        self.hub.publish("broker", None, {"connected": connected})

    # --- per kind ---------------------------------------------------------------------------
    def _state(
        self,
        device: str,
        point: str,
        message: StateMessage,
        retained: bool,
        *,
        hist: bool = False,
        role: PointRole | None = None,
    ) -> None:
        now = self._clock()
        registry = self.registry
        registry.check_declared(device, point)
        state = registry.ensure(device)
        if not retained:
            registry.touch(device, now)
        seen = self.gaps.observe(
            device,
            message.seq,
            message.boot,
            self._monotonic(),
            baseline=retained,
            current_boot=state.meta.boot if state.meta is not None else None,
        )
        if seen is Seen.SEEN and not retained:
            self.stats.duplicates += 1
            return
        if seen is Seen.RESET:
            registry.forget_seqs(device)
        role = role or state.role(point)
        changed = registry.apply(
            device, point, message, now, live=not (retained or hist), role=role
        )
        if self.history is not None:
            # Every accepted state message, live, retained, backlog or replayed; the store keeps
            # each (device, seq) once, so a retained value seen before costs a lookup, no row.
            self.history.record(device, role, point, message)
        if seen is Seen.SEEN and not changed:
            return  # a retained value we hold already (a resubscription)
        self.hub.publish_json(
            "actuator" if role == "actuator" else "reading",
            device,
            reading_json(
                device,
                role,
                point,
                value=message.value,
                unit=message.unit,
                ts=message.ts,
                seq=message.seq,
                boot=message.boot,
                hist=hist,
            ),
        )
        for listener in self.listeners:
            listener.reading(device, point, message.value, message.ts, past=retained or hist)

    def _status(self, device: str, payload: bytes, retained: bool) -> None:
        if not payload:
            self._remove(device)
            return
        online = decode_availability(payload)
        # An `offline` is usually the broker's Last Will, sent 1.5 keepalives after the device's
        # last word: counting it would make a hung device look seen until then (issue 15), so
        # `last_seen` stays the time of the device's own last message.
        if online and not retained:
            self.registry.touch(device, self._clock())
        if self.registry.set_online(device, online):
            self.hub.publish("status", device, {"device": device, "online": online})
        for listener in self.listeners:
            listener.status(device, online)  # also unchanged: a retained status after a restart

    def _meta(self, device: str, payload: bytes) -> None:
        if not payload:
            self._remove(device)
            return
        meta = decode_meta(payload)
        if meta.id != device:
            raise ContractError("id_mismatch", f"meta of {meta.id!r} published for {device!r}")
        if self.registry.set_meta(device, meta):
            state = self.registry.ensure(device)
            self.hub.publish("meta", device, {"device": device, "meta": state.meta_doc})
            if self.meta_changed is not None:
                self.meta_changed(device, meta)

    def _ack(self, device: str, actuator: str, payload: bytes) -> None:
        ack = decode_ack(payload)
        self.hub.publish("ack", device, self.commands.on_ack(device, actuator, ack))

    def _remove(self, device: str) -> None:
        self.gaps.forget(device)
        if self.registry.remove(device):
            self.stats.removed += 1
            if self.meta_changed is not None:
                self.meta_changed(device, None)
            data: dict[str, Any] = {"device": device, "meta": None, "removed": True}
            self.hub.publish("meta", device, data)
            for listener in self.listeners:
                listener.removed(device)
