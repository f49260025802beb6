"""Home Assistant's vocabulary for MQTT discovery, shared by the agent's discovery (from its board
file) and the gateway's (from validated meta). Pure and pydantic-free, so the agent's import path
stays light (issue 18)."""

from __future__ import annotations

import math

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
