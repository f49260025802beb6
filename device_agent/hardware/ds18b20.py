"""DS18B20 1-Wire thermometers through the kernel's ``w1_therm`` driver in sysfs.

``/sys/bus/w1/devices/28-xxxxxxxxxxxx/w1_slave`` holds two lines; the first ends in ``YES`` when
the CRC matched, the second in ``t=<millidegrees>``. Reading it starts a conversion and blocks for
up to ~750 ms, which is why the agent reads sensors in a worker thread. Tests point ``w1_devices``
at a folder of their own.
"""

from __future__ import annotations

from pathlib import Path

from device_agent.hardware.analog import ReadError

#: 85 °C is the chip's power-on reset value: read before the first conversion finished (or after a
#: brown-out), it is not a temperature.
_POWER_ON_RESET = 85000


class Ds18b20:
    def __init__(self, w1_devices: Path, address: str | None = None) -> None:
        self.root = w1_devices
        self.address = address

    def _file(self) -> Path:
        if self.address is not None:
            return self.root / self.address / "w1_slave"
        found = sorted(self.root.glob("28-*/w1_slave"))
        if len(found) != 1:
            raise ReadError(
                f"{len(found)} DS18B20 sensors in {self.root}: set 'address' to choose one"
                if found
                else f"no DS18B20 sensor in {self.root}"
            )
        return found[0]

    def read(self) -> float:
        path = self._file()
        try:
            lines = path.read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ReadError(f"cannot read {path}: {exc}") from exc
        if len(lines) < 2 or not lines[0].strip().endswith("YES"):
            raise ReadError(f"{path}: CRC check failed")
        _, sep, milli = lines[1].rpartition("t=")
        try:
            value = int(milli)
        except ValueError as exc:
            raise ReadError(f"{path}: no temperature in {lines[1]!r}") from exc
        if not sep or value == _POWER_ON_RESET:
            raise ReadError(f"{path}: no valid conversion yet")
        return value / 1000.0

    def close(self) -> None:
        """Nothing to release: the file is opened per read."""


def format_w1_slave(celsius: float, crc_ok: bool = True) -> str:
    """The text the kernel driver shows for ``celsius`` (for the simulator and tests)."""
    milli = round(celsius * 1000)
    status = "YES" if crc_ok else "NO"
    raw = "72 01 4b 46 7f ff 0e 10 57"
    return f"{raw} : crc=57 {status}\n{raw} t={milli}\n"
