"""Home Assistant's vocabulary for sensor entities: which device classes and units it accepts, and
the entity part of each sensor family (``binary_sensor``, ``sensor``). Pure.

Used by the sensor families (:mod:`device_agent.kinds.base`) and assembled into the device's
discovery document by :mod:`device_agent.discovery`.
"""

from __future__ import annotations

import math
from typing import Any

#: Sensor device classes Home Assistant knows, with the units it accepts for the ones pigw's kinds
#: produce by default (``homeassistant/components/sensor/const.py``). A device class outside this
#: table is left out of the discovery payload rather than making Home Assistant refuse the entity.
SENSOR_UNITS: dict[str, frozenset[str] | None] = {
    "temperature": frozenset({"°C", "°F", "K"}),
    "distance": frozenset({"km", "m", "cm", "mm", "mi", "yd", "in", "ft"}),
    "voltage": frozenset({"V", "mV", "µV", "kV", "MV"}),
    "current": frozenset({"A", "mA"}),
    "humidity": frozenset({"%"}),
    "moisture": frozenset({"%"}),
    "illuminance": frozenset({"lx"}),
    "pressure": frozenset({"Pa", "hPa", "kPa", "bar", "cbar", "mbar", "mmHg", "inHg", "psi"}),
    "power": frozenset({"W", "kW", "mW"}),
    "battery": frozenset({"%"}),
    "data_size": None,
}
BINARY_SENSOR_CLASSES = frozenset(
    {
        "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
        "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving",
        "occupancy", "opening", "plug", "power", "presence", "problem", "running", "safety",
        "smoke", "sound", "tamper", "update", "vibration", "window",
    }
)  # fmt: skip

BINARY_TEMPLATE = "{{ 'ON' if value_json.value else 'OFF' }}"


def expire_after(heartbeat: float, interval: float = 0.0) -> int:
    """Seconds after which Home Assistant shows a sensor as unavailable without a new reading:
    two heartbeats plus one sampling interval, so one lost heartbeat is tolerated."""
    return max(1, math.ceil(2 * heartbeat + interval))


def binary_sensor(device_class: str | None, heartbeat: float) -> dict[str, Any]:
    """A digital input's entity part."""
    entity: dict[str, Any] = {
        "platform": "binary_sensor",
        "value_template": BINARY_TEMPLATE,
        "expire_after": expire_after(heartbeat),
    }
    if device_class in BINARY_SENSOR_CLASSES:
        entity["device_class"] = device_class
    return entity


def sensor(
    unit: str | None, device_class: str | None, heartbeat: float, interval: float
) -> dict[str, Any]:
    """A sampled value's entity part (the device class only with a unit Home Assistant takes)."""
    entity: dict[str, Any] = {
        "platform": "sensor",
        "value_template": "{{ value_json.value }}",
        "state_class": "measurement",
        "expire_after": expire_after(heartbeat, interval),
    }
    if unit:
        entity["unit_of_measurement"] = unit
    units = SENSOR_UNITS.get(device_class or "", frozenset())
    if device_class and (units is None or unit in units):
        entity["device_class"] = device_class
    return entity
