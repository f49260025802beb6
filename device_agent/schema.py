"""The building blocks of the board description: pins, durations, texts, simulated signals. Pure.

Shared by the board's sections (:mod:`device_agent.config`) and every sensor kind
(:mod:`device_agent.kinds`); no gpiozero, no paho.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: BCM numbers as ints (0-27 on every 40-pin Pi) or gpiozero's pin names.
_PIN_NAME = re.compile(r"^(GPIO|BCM)([0-9]|1[0-9]|2[0-7])$|^(BOARD|J8:)([1-9]|[1-3][0-9]|40)$")

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1, max_length=256)]
Unit = Annotated[str, Field(max_length=32)]
DeviceClass = Annotated[str, Field(max_length=64)]
Pin = Annotated[int | str, Field(union_mode="left_to_right")]


def check_pin(value: int | str) -> int | str:
    """A pin as written, or ``ValueError`` (pydantic's validation error) when it is none."""
    if isinstance(value, bool):
        raise ValueError("a pin is a BCM number (0-27) or a name like 'GPIO17'")  # noqa: TRY004 - pydantic reports only ValueError as a validation error
    if isinstance(value, int):
        if not 0 <= value <= 27:
            raise ValueError(f"pin {value} is not a BCM GPIO number (0-27)")
        return value
    if not _PIN_NAME.fullmatch(value):
        raise ValueError(f"pin {value!r} is not a BCM number (0-27) or a name like 'GPIO17'")
    return value


def pin_key(pin: int | str) -> str:
    """One spelling per physical pin for the duplicate check (BOARD/J8 names stay as written)."""
    if isinstance(pin, int):
        return f"GPIO{pin}"
    return re.sub(r"^BCM", "GPIO", pin)


class Strict(BaseModel):
    """A config table: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Simulation(Strict):
    """How ``--simulate`` drives this sensor's pin (ignored on hardware). ``signal``: ``drift``
    (random walk between low and high), ``sine``, ``square`` (toggles every period/2), ``pulse``
    (active for ``duty`` x period once per period)."""

    signal: Literal["drift", "sine", "square", "pulse"] = "sine"
    period: Seconds = 60.0
    low: Finite = 0.0
    high: Finite = 1.0
    duty: Annotated[float, Field(gt=0, lt=1)] = 0.2
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
