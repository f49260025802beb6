"""The registry of sensor kinds: one module per kind (or per group of kinds that share a table).

To add a kind, write one module here with its config table (a :class:`~.base.SampledSensor` or
:class:`~.base.EdgeSensor` with ``kind: Literal["…"]``), its ``open`` (the gpiozero device, or any
object with ``read()``/``close()``), optionally its ``simulate`` and default waveform, and a
``KINDS`` list; then add the module to :data:`MODULES` below (docs/agent.md, "Adding a sensor
kind"). The config validation, the hardware, ``--simulate``, the meta and Home Assistant discovery
all read the kind from here; nothing else names it.

Kind modules import gpiozero only inside ``open``/``simulate``: a board is validated (``pigw-agent
check``, tests, a host without gpiozero) from the config tables alone.
"""

from __future__ import annotations

from typing import Any

from device_agent.kinds import adc, digital, distance, ds18b20, light, system
from device_agent.kinds.base import (
    EdgeSensor,
    SampledSensor,
    SensorBase,
    SensorKind,
    Wiring,
)
from device_agent.schema import Problem, convert

MODULES = (digital, distance, light, adc, ds18b20, system)

#: Every sensor kind by its ``kind`` name.
SENSOR_KINDS: dict[str, SensorKind[Any]] = {
    kind.name: kind for module in MODULES for kind in module.KINDS
}

#: A validated sensor table (of whichever kind; code that needs more asks the kind or the family).
SensorConfig = SensorBase


def sensor_kind(config: SensorBase) -> SensorKind[Any]:
    """The registry entry of a validated sensor table."""
    return SENSOR_KINDS[config.kind]


def convert_sensor(table: object, key: str) -> tuple[SensorBase | None, list[Problem]]:
    """A sensor table (``key``: ``sensors.<id>``) as the config table its ``kind`` names, and
    every problem (:func:`device_agent.schema.convert`)."""
    name = table.get("kind") if isinstance(table, dict) else None
    kind = SENSOR_KINDS.get(name) if isinstance(name, str) else None
    if isinstance(table, dict) and kind is None:
        choices = ", ".join(sorted(SENSOR_KINDS))
        found = "is required" if name is None else f"unknown kind {name!r}"
        return None, [(f"{key}.kind", f"{found}: one of {choices}")]
    return convert(table, kind.config if kind else SensorBase, key)


__all__ = [
    "SENSOR_KINDS",
    "EdgeSensor",
    "SampledSensor",
    "SensorBase",
    "SensorConfig",
    "SensorKind",
    "Wiring",
    "convert_sensor",
    "sensor_kind",
]
