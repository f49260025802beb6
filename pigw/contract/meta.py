"""The device description published retained on ``<p>/<dev>/meta`` (CONTRACT.md, "meta")."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pigw.contract.ids import ID_REGEX, RESERVED_IDS
from pigw.contract.kinds import (
    BINARY_SENSOR_KINDS,
    DIMMABLE_ACTUATOR_KINDS,
    ActuatorKind,
    SensorKind,
)
from pigw.contract.limits import MAX_TEXT_LENGTH

__all__ = [
    "BINARY_SENSOR_KINDS",
    "DIMMABLE_ACTUATOR_KINDS",
    "ActuatorKind",
    "ActuatorMeta",
    "DeviceMeta",
    "SensorKind",
    "SensorMeta",
]


Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
PointId = Annotated[str, Field(pattern=ID_REGEX)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Point(BaseModel):
    # Unknown keys are ignored so that an agent may add a field without breaking older consumers;
    # known keys are type-checked.
    model_config = ConfigDict(extra="ignore", frozen=True)

    unit: Text | None = None
    device_class: Text | None = None
    interval: Seconds | None = None
    heartbeat: Seconds | None = None
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    pin: int | Text | None = None
    settable: bool = False
    #: Optional human name ("Kitchen temperature"); an extension the contract is silent on.
    name: Text | None = None


class SensorMeta(_Point):
    kind: SensorKind


class ActuatorMeta(_Point):
    kind: ActuatorKind
    settable: bool = True


class DeviceMeta(BaseModel):
    """``{"id", "name", "model", "sw", "boot", "sensors": {...}, "actuators": {...}}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: PointId
    name: Text
    model: Text
    sw: Text
    boot: Annotated[str, Field(min_length=1, max_length=64)]
    sensors: dict[PointId, SensorMeta] = Field(default_factory=dict, max_length=256)
    actuators: dict[PointId, ActuatorMeta] = Field(default_factory=dict, max_length=256)

    @model_validator(mode="after")
    def _ids_unique_and_free(self) -> DeviceMeta:
        # Sensors and actuators share the <p>/<dev>/<point>/state namespace, so one id cannot
        # name both; reserved words are topic levels of their own.
        both = self.sensors.keys() & self.actuators.keys()
        if both:
            raise ValueError(f"ids used for both a sensor and an actuator: {sorted(both)}")
        reserved = (self.sensors.keys() | self.actuators.keys() | {self.id}) & RESERVED_IDS
        if reserved:
            raise ValueError(f"reserved words used as ids: {sorted(reserved)}")
        return self
