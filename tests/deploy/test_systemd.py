"""The systemd units and their environment files (``deploy/systemd/``), checked by systemd's own
tools offline (``systemd-analyze verify`` and ``security``) and against our settings classes, so a
renamed setting or a typo in a directive fails here rather than on someone's Pi."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from device_agent.settings import AgentSettings
from gateway.settings import GatewaySettings
from tests.support.processes import REPO
from tests.support.settings import SettingsClass, env_names, load_command_settings

SYSTEMD = REPO / "deploy" / "systemd"
UNITS: dict[str, SettingsClass] = {
    "pigw-agent": AgentSettings,
    "pigw-gateway": GatewaySettings,
}
INSTALLED_BIN = "/opt/pigw/.venv/bin/"
pytestmark = pytest.mark.integration  # runs systemd-analyze


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment of a unit or environment file, in order."""
    entries = []
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(path: Path, key: str) -> list[str]:
    return [value for _, k, value in unit_entries(path) if k == key]


def installed_copy(unit: str, tmp_path: Path) -> Path:
    """The unit as installed, with ExecStart pointing at this checkout's commands instead of
    /opt/pigw (systemd-analyze checks that the program exists)."""
    text = (SYSTEMD / f"{unit}.service").read_text(encoding="utf-8")
    assert INSTALLED_BIN in text
    copy = tmp_path / f"{unit}.service"
    copy.write_text(text.replace(INSTALLED_BIN, f"{Path(sys.executable).parent}/"), "utf-8")
    return copy


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_accepts_the_unit_without_a_warning(unit: str, tmp_path: Path) -> None:
    copy = installed_copy(unit, tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", copy.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # unknown keys are only warnings: none allowed


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_is_hardened(unit: str, tmp_path: Path) -> None:
    copy = installed_copy(unit, tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", copy.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    verdict = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", done.stdout)
    assert verdict is not None, done.stdout + done.stderr
    # systemd's scale: 0 (locked down) … 10 (unprotected); "OK" is its best band.
    assert verdict.group(2) == "OK", f"exposure {verdict.group(1)} {verdict.group(2)}"
    path = SYSTEMD / f"{unit}.service"
    assert values(path, "Restart") == ["always"]
    assert values(path, "User") == [unit] and values(path, "Group") == [unit]
    assert values(path, "NoNewPrivileges") == ["yes"]
    assert values(path, "ProtectSystem") == ["strict"]
    assert values(path, "EnvironmentFile") == [f"/etc/pigw/{unit.removeprefix('pigw-')}.env"]


def test_the_agent_may_use_the_gpio_spi_and_i2c_devices() -> None:
    unit = SYSTEMD / "pigw-agent.service"
    assert values(unit, "SupplementaryGroups") == ["gpio spi i2c"]
    assert values(unit, "PrivateDevices") == []  # /dev/gpiochip* must stay visible
    # The outbox lives in the one writable place ProtectSystem=strict leaves it.
    (outbox,) = [v for v in values(unit, "Environment") if v.startswith("PIGW_AGENT_OUTBOX=")]
    assert outbox.startswith(f"PIGW_AGENT_OUTBOX=/var/lib/{values(unit, 'StateDirectory')[0]}/")


@pytest.mark.parametrize("unit", UNITS)
def test_every_variable_the_unit_sets_is_a_setting(unit: str) -> None:
    known = env_names(UNITS[unit])
    path = SYSTEMD / f"{unit}.service"
    names = {value.partition("=")[0] for value in values(path, "Environment")}
    assert names and names <= known, names - known
    # The password comes from a credential, never from the environment or a flag.
    (password,) = [v for v in values(path, "Environment") if "MQTT_PASSWORD_FILE=" in v]
    assert password.endswith("=%d/mqtt-password")
    assert values(path, "LoadCredential") == [
        f"mqtt-password:/etc/pigw/{unit.removeprefix('pigw-')}.mqtt-password"
    ]


@pytest.mark.parametrize("unit", UNITS)
def test_the_example_environment_is_accepted_by_the_command(
    unit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = UNITS[unit]
    example = SYSTEMD / f"{unit.removeprefix('pigw-')}.env.example"
    # Commented-out lines are suggestions users enable: check them too.
    assignments = [
        line.lstrip("#").partition("=")
        for line in example.read_text(encoding="utf-8").splitlines()
        if re.match(r"#?PIGW_", line)
    ]
    names = {name for name, _, _ in assignments}
    assert names, f"{example.name} sets nothing"
    assert names <= env_names(cls), names - env_names(cls)
    # The command reads them as it would under systemd; files they name are stand-ins here.
    stand_in = tmp_path / "stand-in"
    stand_in.write_text("x\n", encoding="utf-8")
    # The alerts file is checked when the settings are read: the shipped example stands in.
    alerts = SYSTEMD.parent / "alerts.example.toml"
    for name, _, value in assignments:
        file = alerts if name.endswith("_ALERTS_FILE") else stand_in
        monkeypatch.setenv(name, str(file) if value.startswith("/etc/") else value)
    settings = load_command_settings(cls, [])
    assert settings.mqtt_username
