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

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from device_agent.kinds import adc, digital, distance, ds18b20, light, system
from device_agent.kinds.base import (
    EdgeSensor,
    SampledSensor,
    SensorBase,
    SensorKind,
    Wiring,
)

MODULES = (digital, distance, light, adc, ds18b20, system)

#: Every sensor kind by its ``kind`` name.
SENSOR_KINDS: dict[str, SensorKind[Any]] = {
    kind.name: kind for module in MODULES for kind in module.KINDS
}


def sensor_kind(config: SensorBase) -> SensorKind[Any]:
    """The registry entry of a validated sensor table."""
    return SENSOR_KINDS[config.kind]


if TYPE_CHECKING:
    SensorConfig = SensorBase
else:
    # The tagged union pydantic validates a sensor table with, built from the registry (a type
    # checker sees the common base; code that needs more asks the kind or the family).
    _TABLES = tuple(dict.fromkeys(kind.config for kind in SENSOR_KINDS.values()))
    SensorConfig = Annotated[Union[_TABLES], Field(discriminator="kind")]  # noqa: UP007

__all__ = [
    "SENSOR_KINDS",
    "EdgeSensor",
    "SampledSensor",
    "SensorBase",
    "SensorConfig",
    "SensorKind",
    "Wiring",
    "sensor_kind",
]
