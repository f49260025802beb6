"""The kind vocabulary of sensors and actuators (CONTRACT.md, "meta"). Pure: standard library only."""

from __future__ import annotations

from enum import StrEnum


class SensorKind(StrEnum):
    DIGITAL = "digital"
    MOTION = "motion"
    DISTANCE = "distance"
    LIGHT = "light"
    ADC = "adc"
    DS18B20 = "ds18b20"
    CPU_TEMPERATURE = "cpu_temperature"
    LOAD_AVERAGE = "load_average"
    DISK_USAGE = "disk_usage"


class ActuatorKind(StrEnum):
    RELAY = "relay"
    LED = "led"
    PWM_LED = "pwm_led"
    BUZZER = "buzzer"


#: Sensors whose value is ``true``/``false``; every other sensor kind reports a number.
BINARY_SENSOR_KINDS = frozenset({SensorKind.DIGITAL, SensorKind.MOTION})
#: Actuators driven by a number in [0, 1]; every other actuator kind is on/off.
DIMMABLE_ACTUATOR_KINDS = frozenset({ActuatorKind.PWM_LED})
