"""Home Assistant device-based MQTT discovery (``homeassistant/device/<dev>/config``), built from a
device's meta. Pure.

One retained message describes the whole device: ``device``, ``origin`` and ``components`` are
required; every component names its ``platform`` and a ``unique_id`` (Home Assistant's
``DEVICE_DISCOVERY_SCHEMA`` in ``components/mqtt/schemas.py``). Sensors become ``sensor`` entities
(binary ones ``binary_sensor``), on/off outputs ``switch`` and PWM outputs a dimmable ``light``.
Availability combines the device's status (its Last Will) and, for sensors, the per-sensor topic,
with ``availability_mode: all``; ``expire_after`` follows from the heartbeat.

Built from the meta, for the gateway (``--ha-discovery``, the production setup; issue 17: a device
that writes its own discovery could name another device's ``/set`` as a ``command_topic``; the
gateway builds every topic in the document from the device's own id, so it cannot). The agent
builds the same document from its board file (``device_agent/discovery.py``, the simple setup);
``tests/gateway/test_homeassistant.py`` keeps the two equal.
"""

from __future__ import annotations

from typing import Any

from pigw.contract.ha_vocabulary import (
    BINARY_SENSOR_CLASSES,
    BINARY_TEMPLATE,
    SENSOR_UNITS,
    expire_after,
)
from pigw.contract.meta import (
    BINARY_SENSOR_KINDS,
    ActuatorKind,
    ActuatorMeta,
    DeviceMeta,
    SensorKind,
)
from pigw.contract.topics import Topics

ORIGIN = "pigw"


def _title(point: str) -> str:
    return point.replace("_", " ").capitalize()


def discovery_document(meta: DeviceMeta, topics: Topics, sw_version: str) -> dict[str, Any]:
    """The device-based discovery document for ``meta`` (encode it with ``json.dumps``); every
    topic in it is one of ``meta.id``'s own."""
    device_id = meta.id
    status = topics.status(device_id)
    components: dict[str, dict[str, Any]] = {}
    for sensor_id, sensor in meta.sensors.items():
        component: dict[str, Any] = {
            "unique_id": f"pigw_{device_id}_{sensor_id}",
            "name": sensor.name or _title(sensor_id),
            "state_topic": topics.state(device_id, sensor_id),
            "availability": [
                {"topic": status},
                {"topic": topics.availability(device_id, sensor_id)},
            ],
            "availability_mode": "all",
        }
        if sensor.kind in BINARY_SENSOR_KINDS:
            component["platform"] = "binary_sensor"
            component["value_template"] = BINARY_TEMPLATE
            if sensor.heartbeat is not None:
                component["expire_after"] = expire_after(sensor.heartbeat)
            device_class = sensor.device_class or (
                "motion" if sensor.kind is SensorKind.MOTION else None
            )
            if device_class in BINARY_SENSOR_CLASSES:
                component["device_class"] = device_class
        else:
            component["platform"] = "sensor"
            component["value_template"] = "{{ value_json.value }}"
            component["state_class"] = "measurement"
            if sensor.heartbeat is not None:
                component["expire_after"] = expire_after(sensor.heartbeat, sensor.interval or 0.0)
            if sensor.unit:
                component["unit_of_measurement"] = sensor.unit
            units = SENSOR_UNITS.get(sensor.device_class or "", frozenset())
            if sensor.device_class and (units is None or sensor.unit in units):
                component["device_class"] = sensor.device_class
        components[sensor_id] = component
    for actuator_id, actuator in meta.actuators.items():
        components[actuator_id] = _actuator(device_id, actuator_id, actuator, topics, status)
    return {
        "device": {
            "identifiers": [f"pigw_{device_id}"],
            "name": meta.name,
            "model": meta.model,
            "manufacturer": "pigw",
            "sw_version": meta.sw,
        },
        "origin": {"name": ORIGIN, "sw_version": sw_version},
        "qos": 1,
        "components": components,
    }


def _actuator(
    device_id: str, actuator_id: str, actuator: ActuatorMeta, topics: Topics, status: str
) -> dict[str, Any]:
    state = topics.state(device_id, actuator_id)
    command = topics.command(device_id, actuator_id)
    common: dict[str, Any] = {
        "unique_id": f"pigw_{device_id}_{actuator_id}",
        "name": actuator.name or _title(actuator_id),
        "availability": [{"topic": status}],
        "availability_mode": "all",
        "command_topic": command,
        "state_topic": state,
        "payload_on": "ON",
        "payload_off": "OFF",
    }
    if actuator.kind is ActuatorKind.PWM_LED:
        # A dimmable light: ON/OFF and a brightness 0..255 that the template turns into 0..1,
        # both sent to the same /set topic (the agent takes ON/OFF and numbers there).
        return {
            **common,
            "platform": "light",
            "state_value_template": "{{ 'ON' if value_json.value > 0 else 'OFF' }}",
            "brightness_command_topic": command,
            "brightness_command_template": "{{ (value / 255) | round(3) }}",
            "brightness_state_topic": state,
            "brightness_value_template": "{{ (value_json.value * 255) | round(0) | int }}",
            "brightness_scale": 255,
            "on_command_type": "brightness",
        }
    return {
        **common,
        "platform": "switch",
        "value_template": BINARY_TEMPLATE,
        "state_on": "ON",
        "state_off": "OFF",
    }
