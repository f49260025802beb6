"""Home Assistant's documented rules for device-based MQTT discovery, as a checker for tests.

Taken from Home Assistant's MQTT integration (``components/mqtt/schemas.py``:
``DEVICE_DISCOVERY_SCHEMA``, ``MQTT_ORIGIN_INFO_SCHEMA``, ``_MQTT_AVAILABILITY_SCHEMA``; the
sensor, binary_sensor, switch and light platform schemas) and the MQTT discovery documentation:

* the topic is ``<prefix>/device/<object_id>/config`` with ``object_id`` in ``[a-zA-Z0-9_-]+``;
* ``device``, ``origin`` and ``components`` (``cmps``) are required; ``origin`` needs a ``name``;
  ``device`` needs ``identifiers`` or ``connections``;
* each component needs ``platform`` (one of the MQTT platforms) and, being an entity, a
  ``unique_id``;
* ``availability`` is a list of objects each with a ``topic``, and excludes ``availability_topic``;
  ``availability_mode`` is ``all``, ``any`` or ``latest``;
* sensors: ``state_class`` in measurement/total/total_increasing, ``expire_after`` a positive
  integer, ``device_class`` a sensor class whose unit is one Home Assistant accepts for it;
* binary sensors: a binary-sensor ``device_class``; switches and lights need a ``command_topic``;
* every ``*_topic`` is a valid MQTT topic (publish topics without wildcards).
"""

from __future__ import annotations

import re
from typing import Any

OBJECT_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
PLATFORMS = {
    "alarm_control_panel", "binary_sensor", "button", "camera", "climate", "cover",
    "device_automation", "device_tracker", "event", "fan", "humidifier", "image", "lawn_mower",
    "light", "lock", "notify", "number", "scene", "select", "sensor", "siren", "switch", "tag",
    "text", "update", "vacuum", "valve", "water_heater",
}  # fmt: skip
ENTITY_PLATFORMS = PLATFORMS - {"device_automation", "tag"}
SENSOR_UNITS = {
    "temperature": {"°C", "°F", "K"},
    "distance": {"km", "m", "cm", "mm", "mi", "yd", "in", "ft"},
    "voltage": {"V", "mV", "µV", "kV", "MV"},
    "humidity": {"%"},
    "moisture": {"%"},
    "illuminance": {"lx"},
}
BINARY_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
    "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy",
    "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
    "tamper", "update", "vibration", "window",
}  # fmt: skip
STATE_CLASSES = {"measurement", "total", "total_increasing"}


def _topic_ok(topic: object, publish: bool) -> bool:
    if not isinstance(topic, str) or not topic or len(topic.encode()) > 65535:
        return False
    if publish and ("+" in topic or "#" in topic):
        return False
    return "\x00" not in topic


def problems(topic: str, payload: dict[str, Any], prefix: str = "homeassistant") -> list[str]:
    """Every rule the discovery message breaks (empty: Home Assistant accepts it)."""
    found: list[str] = []
    match = re.fullmatch(rf"{re.escape(prefix)}/device/([^/]+)/config", topic)
    if match is None or not OBJECT_ID.fullmatch(match.group(1)):
        found.append(f"bad discovery topic {topic}")
    for key in ("device", "origin", "components"):
        if key not in payload:
            found.append(f"missing {key}")
    device = payload.get("device", {})
    if not (device.get("identifiers") or device.get("connections")):
        found.append("device needs identifiers or connections")
    if not isinstance(payload.get("origin", {}).get("name"), str):
        found.append("origin needs a name")
    for cid, component in payload.get("components", {}).items():
        found.extend(f"{cid}: {p}" for p in _component_problems(component))
    return found


def _component_problems(c: dict[str, Any]) -> list[str]:
    found: list[str] = []
    platform = c.get("platform")
    if platform not in PLATFORMS:
        return [f"platform {platform!r} is not an MQTT platform"]
    if platform in ENTITY_PLATFORMS and not isinstance(c.get("unique_id"), str):
        found.append("an entity needs a unique_id")
    if "availability" in c:
        if "availability_topic" in c:
            found.append("availability and availability_topic exclude each other")
        if not all(
            isinstance(a, dict) and _topic_ok(a.get("topic"), False) for a in c["availability"]
        ):
            found.append("each availability entry needs a topic")
    if c.get("availability_mode", "latest") not in {"all", "any", "latest"}:
        found.append("bad availability_mode")
    for key, value in c.items():
        if key.endswith("_topic") and not _topic_ok(value, publish=key.endswith("command_topic")):
            found.append(f"bad {key}")
    if platform == "sensor":
        found.extend(_sensor_problems(c))
    if platform == "binary_sensor" and c.get("device_class", "door") not in BINARY_CLASSES:
        found.append(f"bad binary_sensor device_class {c.get('device_class')}")
    expire = c.get("expire_after", 1)
    if platform in {"binary_sensor", "sensor"} and (not isinstance(expire, int) or expire <= 0):
        found.append("expire_after must be a positive integer")
    if platform in {"switch", "light"} and not _topic_ok(c.get("command_topic"), True):
        found.append(f"a {platform} needs a command_topic")
    return found


def _sensor_problems(c: dict[str, Any]) -> list[str]:
    found = []
    if "state_class" in c and c["state_class"] not in STATE_CLASSES:
        found.append(f"bad state_class {c['state_class']}")
    device_class = c.get("device_class")
    if device_class is not None:
        units = SENSOR_UNITS.get(device_class)
        if units is None:
            found.append(f"device_class {device_class} unknown to this checker")
        elif c.get("unit_of_measurement") not in units:
            found.append(f"unit {c.get('unit_of_measurement')} is not valid for {device_class}")
    return found
