"""The gateway's settings and start-up refusals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gateway.auth import create_token
from gateway.settings import GatewaySettings, is_loopback
from pigw.settings import SettingsError, load_settings
from tests.support.processes import venv_command


def test_a_network_bind_without_a_tokens_file_is_refused() -> None:
    with pytest.raises(SettingsError, match="--tokens-file"):
        load_settings(GatewaySettings, ["--host", "0.0.0.0"])


def test_a_network_bind_is_allowed_with_tokens_or_insecure(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    create_token(path, "a", "viewer")
    assert load_settings(GatewaySettings, ["--host", "0.0.0.0", "--tokens-file", str(path)])
    settings = load_settings(GatewaySettings, ["--host", "0.0.0.0", "--insecure"])
    assert settings.open_access


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.1.2.3", True),
                         ("::1", True), ("localhost", True), ("0.0.0.0", False),
                         ("192.168.1.5", False), ("::", False), ("pi.local", False)])  # fmt: skip
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_gateway_id_defaults_to_the_host_name_and_is_checked() -> None:
    settings = load_settings(GatewaySettings, [])
    assert settings.gateway_id is None
    assert settings.resolved_gateway_id
    with pytest.raises(SettingsError, match="--gateway-id"):
        load_settings(GatewaySettings, ["--gateway-id", "Not Valid"])


def test_cors_origins_must_be_explicit() -> None:
    with pytest.raises(SettingsError, match="--cors-origin"):
        load_settings(GatewaySettings, ["--cors-origin", "*"])


def test_the_help_shows_plain_defaults() -> None:
    done = subprocess.run(
        [venv_command("pigw-gateway"), "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "lambda" not in done.stdout and "--gateway-id" in done.stdout


def test_the_cli_refuses_a_network_bind_naming_the_flag() -> None:
    done = subprocess.run(
        [venv_command("pigw-gateway"), "--host", "0.0.0.0", "--port", "9"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--tokens-file" in done.stderr and "--insecure" in done.stderr
