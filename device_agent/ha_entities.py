"""Home Assistant's vocabulary for sensor entities: which device classes and units it accepts, and
the entity part of each sensor family (``binary_sensor``, ``sensor``). Pure.

Used by the sensor families (:mod:`device_agent.kinds.base`) and assembled into the device's
discovery document by :mod:`device_agent.discovery`.
"""

from __future__ import annotations

from typing import Any

from pigw.contract.ha_vocabulary import (
    BINARY_SENSOR_CLASSES,
    BINARY_TEMPLATE,
    SENSOR_UNITS,
    expire_after,
)


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
