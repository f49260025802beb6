"""The built-in demo board of ``--simulate`` (without ``--config``): a little of everything, with
signals that change on their own so a dashboard shows life at once. Also an example config:
``pigw-agent --simulate --config examples/demo-board.toml`` runs the same board from a file."""

from __future__ import annotations

from device_agent.config import BoardConfig, parse_config

DEMO_DEVICE_ID = "sim-pi"

DEMO_BOARD_TOML = """
[device]
name = "Simulated Pi ({id})"
model = "Raspberry Pi 4 (simulated)"

[sensors.temperature]
kind = "ds18b20"
name = "Room temperature"
interval = 5
deadband = 0.05
heartbeat = 300
simulate = { signal = "drift", period = 600, low = 19.0, high = 24.0, noise = 0.02 }

[sensors.light]
kind = "light"
name = "Daylight"
pin = 4
interval = 2
deadband = 2
decimals = 0
simulate = { signal = "sine", period = 120, low = 0.1, high = 0.9 }

[sensors.distance]
kind = "distance"
name = "Water tank level"
echo = 23
trigger = 24
interval = 1
deadband = 2
decimals = 1
simulate = { signal = "sine", period = 40, low = 0.3, high = 1.5 }

[sensors.soil]
kind = "adc"
name = "Soil moisture"
chip = "mcp3008"
channel = 0
scale = 30.3
unit = "%"
device_class = "moisture"
interval = 5
deadband = 1
decimals = 1
simulate = { signal = "sine", period = 90, low = 0.5, high = 2.8 }

[sensors.door]
kind = "digital"
name = "Front door"
pin = 17
device_class = "door"
simulate = { signal = "square", period = 12 }

[sensors.motion]
kind = "motion"
name = "Hallway motion"
pin = 27
simulate = { signal = "pulse", period = 9, duty = 0.3 }

[sensors.cpu]
kind = "cpu_temperature"
name = "CPU temperature"
interval = 10
simulate = { signal = "drift", period = 300, low = 42.0, high = 55.0, noise = 0.1 }

[sensors.load]
kind = "load_average"
name = "Load (1 min)"
interval = 30

[actuators.relay1]
kind = "relay"
name = "Pump relay"
pin = 5
active_high = false

[actuators.led1]
kind = "led"
name = "Status LED"
pin = 6

[actuators.pwm1]
kind = "pwm_led"
name = "Dimmable light"
pin = 12
"""


def demo_board() -> BoardConfig:
    return parse_config(DEMO_BOARD_TOML, "built-in demo board")
