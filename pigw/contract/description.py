"""The device description as its publisher builds it: plain dataclasses and ``json``, no pydantic.

The agent builds its retained ``<p>/<dev>/meta`` with :func:`encode_description`; consumers parse
it with :func:`pigw.contract.decode_meta` (pydantic, on the gateway's side). Every sensor and
actuator entry carries every field of :data:`POINT_FIELDS`, ``null`` where it does not apply (a
digital input has no ``interval``, the CPU temperature no ``pin``), so a consumer can rely on the
shape (CONTRACT.md, "meta"; docs/agent.md, "What the agent publishes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pigw.contract.errors import ContractError
from pigw.contract.ids import check_id
from pigw.contract.kinds import ActuatorKind, SensorKind
from pigw.contract.limits import MAX_META_BYTES
from pigw.contract.wire import dumps

#: The fields of every sensor and actuator entry, in wire order (CONTRACT.md, "meta").
POINT_FIELDS: Final = (
    "kind",
    "unit",
    "device_class",
    "interval",
    "heartbeat",
    "deadband",
    "pin",
    "settable",
)


@dataclass(frozen=True, slots=True)
class PointDescription:
    """One sensor or actuator entry. ``name`` is an extension the contract is silent on; it is
    always present too (``null`` when the board file gives none)."""

    kind: SensorKind | ActuatorKind
    unit: str | None = None
    device_class: str | None = None
    interval: float | None = None
    heartbeat: float | None = None
    deadband: float | None = None
    pin: int | str | None = None
    settable: bool = False
    name: str | None = None

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {key: getattr(self, key) for key in POINT_FIELDS}
        doc["kind"] = str(self.kind)
        doc["name"] = self.name
        return doc


@dataclass(frozen=True, slots=True)
class DeviceDescription:
    """``{"id", "name", "model", "sw", "boot", "sensors": {...}, "actuators": {...}}``."""

    id: str
    name: str
    model: str
    sw: str
    boot: str
    sensors: dict[str, PointDescription] = field(default_factory=dict)
    actuators: dict[str, PointDescription] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "model": self.model,
            "sw": self.sw,
            "boot": self.boot,
            "sensors": {sid: point.document() for sid, point in self.sensors.items()},
            "actuators": {aid: point.document() for aid, point in self.actuators.items()},
        }


def encode_description(description: DeviceDescription) -> bytes:
    """The retained meta payload; refuses (:class:`ContractError`) what no consumer would accept:
    a bad or reserved id, an id used for both a sensor and an actuator, a payload over
    :data:`~pigw.contract.limits.MAX_META_BYTES`."""
    check_id(description.id, "device id")
    for point_id in (*description.sensors, *description.actuators):
        check_id(point_id, "point id")
    both = description.sensors.keys() & description.actuators.keys()
    if both:
        raise ContractError(
            "bad_payload", f"ids used for both a sensor and an actuator: {sorted(both)}"
        )
    payload = dumps(description.document())
    if len(payload) > MAX_META_BYTES:
        raise ContractError(
            "oversize", f"meta payload of {len(payload)} bytes exceeds {MAX_META_BYTES}"
        )
    return payload
