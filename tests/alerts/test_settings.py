"""--alerts-file and --alert-retry-s: a bad rules file stops start-up, naming the rule and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from pigw.settings import SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings(GatewaySettings, [])
    assert settings.alerts_file is None and settings.alert_retry_s == 600.0


def test_a_bad_rule_is_refused_by_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[rules]]\nid = "tank"\ndevice = "g"\npoint = "t"\nwhen = "below"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(GatewaySettings, ["--alerts-file", str(path)])
    message = str(caught.value)
    assert "--alerts-file" in message and "rule 'tank': key 'threshold'" in message


def test_the_gateway_does_not_start_with_a_bad_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[rules]]\nid = "hot"\ndevice = "g"\npoint = "t"\nwhen = "above"\n'
                    'threshold = 3\nfor = "ten minutes"\n')  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--alerts-file", str(path), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "rule 'hot': key 'for'" in done.stderr


def test_retry_must_be_positive() -> None:
    with pytest.raises(SettingsError, match="--alert-retry-s"):
        load_settings(GatewaySettings, ["--alert-retry-s", "0"])
