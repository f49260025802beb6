"""The device registry: meta, availability, last_seen and the latest value of every sensor and
actuator, plus each sensor's recent history. Pure: the caller passes the time in.

Rules (issue 4): a reading replaces a point's current value only when its ``seq`` is newer, so a
backlog reading never overwrites a newer current value; a point is *stale* when nothing arrived for
2.5 x the ``heartbeat`` (or, without one, the ``interval``) its meta declares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from gateway.hub.encoding import dumps
from gateway.state.budget import HistoryBudget
from gateway.state.history import Reading, ReadingHistory
from pigw.contract import ContractError, DeviceMeta, StateMessage, Value, format_ts

#: A point is stale after this many declared periods without a reading (issue 4).
STALE_PERIODS: Final = 2.5
#: Bounds against a publisher that invents ids: messages beyond them are refused (counted as
#: ``too_many_devices`` / ``too_many_points``), what is known stays.
MAX_DEVICES: Final = 10_000
MAX_POINTS: Final = 1024

PointRole = Literal["sensor", "actuator"]


class PointState:
    """The current value of one sensor or actuator."""

    __slots__ = ("boot", "fresh_at", "seq", "ts", "unit", "value")

    def __init__(self) -> None:
        self.value: Value | None = None
        self.unit: str | None = None
        self.ts: str | None = None
        self.seq: int | None = None
        self.boot: str | None = None
        #: POSIX time of the last sign of life of this point (receipt time, or ``ts`` for a
        #: retained value, whichever is earlier).
        self.fresh_at: float | None = None


class DeviceState:
    __slots__ = ("histories", "id", "last_seen", "meta", "meta_doc", "online", "points")

    def __init__(self, device_id: str) -> None:
        self.id = device_id
        self.meta: DeviceMeta | None = None
        self.meta_doc: dict[str, Any] | None = None
        self.online = False
        self.last_seen: float | None = None
        self.points: dict[str, PointState] = {}
        self.histories: dict[str, ReadingHistory] = {}

    def role(self, point: str) -> PointRole:
        """``actuator`` if the meta declares ``point`` an actuator, else ``sensor``."""
        if self.meta is not None and point in self.meta.actuators:
            return "actuator"
        return "sensor"

    def period(self, point: str) -> float | None:
        meta = self.meta
        if meta is None:
            return None
        declared = meta.sensors.get(point)
        if declared is not None:
            return declared.heartbeat or declared.interval
        actuator = meta.actuators.get(point)
        return None if actuator is None else actuator.heartbeat or actuator.interval


class Registry:
    """Every device the gateway has heard of, by id."""

    def __init__(self, history_size: int = 500, history_budget: int | None = None) -> None:
        self.history_size = history_size
        self.budget = HistoryBudget(history_size, history_budget or MAX_POINTS * history_size)
        self.devices: dict[str, DeviceState] = {}

    def check_declared(self, device: str, point: str) -> None:
        """Refuse a state for a point the device's meta does not declare (issue 17: a device
        inventing points made the gateway hold ~100 MB). Before the meta is known any point is
        taken: the meta may simply not have arrived yet."""
        state = self.devices.get(device)
        if state is None or state.meta is None:
            return
        meta = state.meta
        if point not in meta.sensors and point not in meta.actuators:
            raise ContractError(
                "undeclared_point", f"{device!r} does not declare {point!r} in its meta"
            )

    def get(self, device: str) -> DeviceState | None:
        return self.devices.get(device)

    def ensure(self, device: str) -> DeviceState:
        state = self.devices.get(device)
        if state is None:
            if len(self.devices) >= MAX_DEVICES:
                raise ContractError("too_many_devices", f"more than {MAX_DEVICES} devices")
            state = self.devices[device] = DeviceState(device)
        return state

    def remove(self, device: str) -> bool:
        state = self.devices.pop(device, None)
        if state is None:
            return False
        self.budget.close(state.histories.values())
        return True

    def set_meta(self, device: str, meta: DeviceMeta) -> bool:
        """Store a device description; False when it is the one held already."""
        state = self.ensure(device)
        if state.meta == meta:
            return False
        state.meta = meta
        state.meta_doc = meta.model_dump(mode="json")
        # Points held from before the meta that it does not declare go: they would be refused
        # from now on, and must not keep their memory.
        undeclared = [
            point
            for point in state.points
            if point not in meta.sensors and point not in meta.actuators
        ]
        for point in undeclared:
            del state.points[point]
        self.budget.close([state.histories.pop(p) for p in undeclared if p in state.histories])
        return True

    def set_online(self, device: str, online: bool) -> bool:
        state = self.ensure(device)
        if state.online == online:
            return False
        state.online = online
        return True

    def touch(self, device: str, now: float) -> None:
        """A live message from ``device`` arrived at ``now``."""
        state = self.ensure(device)
        if state.last_seen is None or now > state.last_seen:
            state.last_seen = now

    def apply(
        self,
        device: str,
        point: str,
        message: StateMessage,
        now: float,
        *,
        live: bool,
        role: PointRole | None = None,
    ) -> bool:
        """Record a state message; True when it became the point's current value (its seq is
        newer than the one held). Sensor readings also go into the point's history."""
        state = self.ensure(device)
        current = state.points.get(point)
        if current is None:
            if len(state.points) >= MAX_POINTS:
                raise ContractError("too_many_points", f"{device!r} has {MAX_POINTS} points")
            current = state.points[point] = PointState()
        if (role or state.role(point)) == "sensor":
            history = state.histories.get(point)
            if history is None:
                history = self.budget.open()
                if history is not None:
                    state.histories[point] = history
            if history is not None:
                self.budget.add(
                    history, message.seq, message.ts, message.value, self._every_history
                )
        if current.seq is not None and message.seq <= current.seq:
            return False
        current.value = message.value
        current.unit = message.unit
        current.ts = message.ts
        current.seq = message.seq
        current.boot = message.boot
        current.fresh_at = now if live else min(now, _ts_seconds(message.ts, now))
        if not live and (state.last_seen is None or current.fresh_at > state.last_seen):
            state.last_seen = current.fresh_at
        return True

    def _every_history(self) -> list[ReadingHistory]:
        return [h for state in self.devices.values() for h in state.histories.values()]

    def forget_seqs(self, device: str) -> None:
        """The device's counter started over: any next reading is newer than what is held."""
        state = self.devices.get(device)
        if state is not None:
            for current in state.points.values():
                current.seq = None

    def freshness(self, device: str, point: str, now: float) -> tuple[bool, Value | None] | None:
        """``(stale, value)`` of a point the device declares or has sent; ``None`` if unknown."""
        state = self.devices.get(device)
        if state is None:
            return None
        current = state.points.get(point)
        if current is None:
            declared = state.meta is not None and (
                point in state.meta.sensors or point in state.meta.actuators
            )
            return (state.period(point) is not None, None) if declared else None
        return _stale(current.fresh_at, state.period(point), now), current.value

    def history(self, device: str, sensor: str) -> ReadingHistory | None:
        state = self.devices.get(device)
        return None if state is None else state.histories.get(sensor)

    # --- views (the contract's JSON) ----------------------------------------------------------
    def device_doc(self, state: DeviceState, now: float) -> dict[str, Any]:
        """``{"id", "meta", "online", "last_seen", "sensors", "actuators"}`` (CONTRACT.md)."""
        sensors: dict[str, Any] = {}
        actuators: dict[str, Any] = {}
        meta = state.meta
        if meta is not None:
            for name, declared in meta.sensors.items():
                sensors[name] = _empty_point(declared.unit, state.period(name))
            for name, output in meta.actuators.items():
                actuators[name] = _empty_point(output.unit, state.period(name))
        for name, current in state.points.items():
            doc = {
                "value": current.value,
                "unit": current.unit,
                "ts": current.ts,
                "seq": current.seq,
                "stale": _stale(current.fresh_at, state.period(name), now),
            }
            (actuators if state.role(name) == "actuator" else sensors)[name] = doc
        return {
            "id": state.id,
            "meta": state.meta_doc,
            "online": state.online,
            "last_seen": None if state.last_seen is None else format_ts(state.last_seen),
            "sensors": sensors,
            "actuators": actuators,
        }

    def devices_doc(
        self, now: float, devices: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        """Every device (or those in ``devices``), sorted by id."""
        return [
            self.device_doc(self.devices[name], now)
            for name in sorted(self.devices)
            if devices is None or name in devices
        ]

    def snapshot_json(self, now: float, devices: frozenset[str] | None = None) -> str:
        """The data of a ``snapshot`` event: ``{"devices": [...]}`` exactly as ``GET
        /api/devices``."""
        return dumps({"devices": self.devices_doc(now, devices)})


def _stale(fresh_at: float | None, period: float | None, now: float) -> bool:
    if period is None:
        return False
    return fresh_at is None or now - fresh_at > STALE_PERIODS * period


def _empty_point(unit: str | None, period: float | None) -> dict[str, Any]:
    # Declared by the meta, nothing received yet: stale as soon as it is expected to have spoken.
    return {"value": None, "unit": unit, "ts": None, "seq": None, "stale": period is not None}


def _ts_seconds(ts: str, default: float) -> float:
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return default


__all__ = ["DeviceState", "PointRole", "PointState", "Reading", "Registry"]
