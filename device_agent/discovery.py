"""Home Assistant device-based MQTT discovery (``homeassistant/device/<dev>/config``). Pure.

One retained message describes the whole device: ``device``, ``origin`` and ``components`` are
required; every component names its ``platform`` and a ``unique_id`` (Home Assistant's
``DEVICE_DISCOVERY_SCHEMA`` in ``components/mqtt/schemas.py``). Sensors become ``sensor`` entities
(binary ones ``binary_sensor``), on/off outputs ``switch`` and PWM outputs a dimmable ``light``.
Availability combines the device's status (its Last Will) and, for sensors, the per-sensor topic,
with ``availability_mode: all``; ``expire_after`` follows from the heartbeat. Each sensor's
entity part comes from its family (:mod:`device_agent.ha_entities`).
"""

from __future__ import annotations

from typing import Any

from device_agent.config import ActuatorConfig, BoardConfig
from pigw.contract import Topics
from pigw.contract.ha_vocabulary import BINARY_TEMPLATE, expire_after

__all__ = ["ORIGIN", "discovery_payload", "expire_after"]

ORIGIN = "pigw"


def discovery_payload(
    board: BoardConfig, device_id: str, topics: Topics, sw_version: str
) -> dict[str, Any]:
    """The device-based discovery document for ``board`` (encode it with ``json.dumps``)."""
    status = topics.status(device_id)
    components: dict[str, dict[str, Any]] = {}
    for sensor_id, sensor in board.sensors.items():
        component: dict[str, Any] = {
            "unique_id": f"pigw_{device_id}_{sensor_id}",
            "name": sensor.name or sensor_id.replace("_", " ").capitalize(),
            "state_topic": topics.state(device_id, sensor_id),
            "availability": [
                {"topic": status},
                {"topic": topics.availability(device_id, sensor_id)},
            ],
            "availability_mode": "all",
        }
        component.update(sensor.discovery_entity(sensor_id))
        components[sensor_id] = component
    for actuator_id, actuator in board.actuators.items():
        components[actuator_id] = _actuator(device_id, actuator_id, actuator, topics, status)
    return {
        "device": {
            "identifiers": [f"pigw_{device_id}"],
            "name": board.device.display_name(device_id),
            "model": board.device.model,
            "manufacturer": "pigw",
            "sw_version": sw_version,
        },
        "origin": {"name": ORIGIN, "sw_version": sw_version},
        "qos": 1,
        "components": components,
    }


def _actuator(
    device_id: str, actuator_id: str, actuator: ActuatorConfig, topics: Topics, status: str
) -> dict[str, Any]:
    state = topics.state(device_id, actuator_id)
    command = topics.command(device_id, actuator_id)
    common: dict[str, Any] = {
        "unique_id": f"pigw_{device_id}_{actuator_id}",
        "name": actuator.name or actuator_id.replace("_", " ").capitalize(),
        "availability": [{"topic": status}],
        "availability_mode": "all",
        "command_topic": command,
        "state_topic": state,
        "payload_on": "ON",
        "payload_off": "OFF",
    }
    if actuator.kind == "pwm_led":
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
