"""The agent's settings (``pigw-agent``'s flags and ``PIGW_AGENT_*``), read by the msgspec loader
(:mod:`pigw.struct_settings`) as pydantic-settings read them before issue 18. What the common flags
mean is also checked against the gateway's loader in ``tests/pigw/test_settings.py``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import pigw.settings
from device_agent.settings import AgentSettings
from pigw.broker_access import BrokerAddress
from pigw.struct_settings import BadSettings, SettingsError, load_struct_settings
from tests.support.processes import venv_command


def load(args: list[str], env: dict[str, str] | None = None) -> AgentSettings:
    return load_struct_settings(AgentSettings, args, env or {})


def test_defaults_are_the_agents() -> None:
    settings = load([])
    assert settings.mqtt_url == ["mqtt://127.0.0.1:1883"]
    assert settings.mqtt_keepalive == 15
    assert settings.mqtt_session_expiry == 86400
    assert settings.mqtt_backoff_min == 0.5
    assert settings.command_max_age == 30.0
    assert (settings.simulate, settings.check_config, settings.config) == (False, False, None)


def test_a_flag_beats_the_environment_which_beats_the_default() -> None:
    env = {"PIGW_AGENT_MQTT_KEEPALIVE": "20", "PIGW_AGENT_MQTT_MAX_INFLIGHT": "7"}
    settings = load(["--mqtt-keepalive", "30"], env)
    assert settings.mqtt_keepalive == 30  # flag over environment
    assert settings.mqtt_max_inflight == 7  # environment over default
    assert settings.mqtt_max_queued == 10000  # default


def test_values_take_their_fields_types() -> None:
    settings = load(
        ["--config=board.toml", "--mqtt-backoff-min", "0.25", "--log-level", "debug"],
        {
            "PIGW_AGENT_OUTBOX": "/var/lib/pigw-agent/outbox.sqlite",
            "PIGW_AGENT_SIMULATE_SEED": "-3",
        },
    )
    assert settings.config == Path("board.toml")
    assert settings.outbox == Path("/var/lib/pigw-agent/outbox.sqlite")
    assert settings.mqtt_backoff_min == 0.25
    assert settings.simulate_seed == -3
    assert settings.log_level == "debug"


def test_environment_names_match_regardless_of_case() -> None:
    # As pydantic-settings (case_sensitive=False) did.
    assert load([], {"pigw_agent_device_id": "pi-1"}).device_id == "pi-1"


@pytest.mark.parametrize(
    ("word", "expected"),
    [(w, True) for w in ("true", "1", "yes", "on", "TRUE", "Yes")]
    + [(w, False) for w in ("false", "0", "no", "off", "Off")],
)
def test_a_boolean_in_the_environment(word: str, expected: bool) -> None:
    assert load([], {"PIGW_AGENT_SIMULATE": word}).simulate is expected


def test_a_boolean_flag_has_a_negative_form_that_beats_the_environment() -> None:
    assert load(["--simulate"]).simulate is True
    assert load(["--no-simulate"], {"PIGW_AGENT_SIMULATE": "yes"}).simulate is False


def test_broker_urls_repeat_or_separate_by_commas() -> None:
    settings = load(["--mqtt-url", "mqtt://a", "--mqtt-url", "mqtt://b:1884,mqtt://c"])
    assert settings.brokers == [
        BrokerAddress("a", 1883, tls=False),
        BrokerAddress("b", 1884, tls=False),
        BrokerAddress("c", 1883, tls=False),
    ]
    from_env = load([], {"PIGW_AGENT_MQTT_URL": "mqtts://a, mqtts://b:9"})
    assert [b.port for b in from_env.brokers] == [8883, 9]
    assert from_env.tls_context() is not None


def test_every_bad_setting_gets_its_own_line(tmp_path: Path) -> None:
    env = {"PIGW_AGENT_SIMULATE": "maybe", "PIGW_AGENT_MQTT_BACKOFF_MIN": "0"}
    args = ["--mqtt-keepalive", "2", "--log-level", "loud", "--mqtt-url", "tcp://x"]
    args += ["--mqtt-ca-file", str(tmp_path / "missing.crt"), "--mqtt-max-inflight", "many"]
    with pytest.raises(SettingsError) as info:
        load(args, env)
    lines = str(info.value).splitlines()
    assert [line.partition(":")[0] for line in lines] == [
        "bad setting --mqtt-url / PIGW_AGENT_MQTT_URL",
        "bad setting --mqtt-ca-file / PIGW_AGENT_MQTT_CA_FILE",
        "bad setting --mqtt-keepalive / PIGW_AGENT_MQTT_KEEPALIVE",
        "bad setting --log-level / PIGW_AGENT_LOG_LEVEL",
        "bad setting --simulate / PIGW_AGENT_SIMULATE",
        "bad setting --mqtt-backoff-min / PIGW_AGENT_MQTT_BACKOFF_MIN",
        "bad setting --mqtt-max-inflight / PIGW_AGENT_MQTT_MAX_INFLIGHT",
    ]
    text = str(info.value)
    assert "'tcp://x': the scheme must be mqtt:// or mqtts://" in text
    assert "missing.crt is not a readable file" in text
    assert "'2' is not an integer >= 5 and <= 3600" in text
    assert "'loud' is not one of 'debug', 'info', 'warning', 'error'" in text
    assert "'0' is not a number > 0 and <= 60" in text
    assert "'many' is not an integer >= 1 and <= 65535" in text


def test_the_error_is_the_one_class_both_commands_raise() -> None:
    # A SystemExit with a message: Python prints it and exits with status 1.
    assert pigw.settings.SettingsError is SettingsError
    assert issubclass(SettingsError, SystemExit)


def test_help_lists_every_flag_with_its_description_and_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        load(["--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert text.startswith("usage: pigw-agent ")
    for expected in (
        "--mqtt-keepalive int seconds; a silent peer is noticed within 1.5x this (default: 15)",
        "--log-level {debug,info,warning,error} debug, info, warning or error (default: info)",
        "--simulate, --no-simulate run on gpiozero's mock pins with a demo board (default: False)",
        "--mqtt-url list[str] broker URL",
        "(default: ['mqtt://127.0.0.1:1883'])",
        "--config Path TOML file describing the board (default: None)",
        "--command-max-age float",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("args", [["--bogus"], ["--simul"], ["stray"]])
def test_an_unknown_flag_exits_like_argparse(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        load(args)
    assert info.value.code == 2
    assert f"pigw-agent: error: unrecognized arguments: {args[0]}" in capsys.readouterr().err


def test_direct_construction_takes_one_url_and_still_checks_it(tmp_path: Path) -> None:
    # Tests and the benchmark build settings directly, with one URL as a plain string.
    settings = AgentSettings(mqtt_url="mqtt://127.0.0.1:1884", simulate=True)  # type: ignore[arg-type]
    assert settings.mqtt_url == ["mqtt://127.0.0.1:1884"]
    assert settings.broker == BrokerAddress("127.0.0.1", 1884, tls=False)
    with pytest.raises(BadSettings) as info:
        AgentSettings(mqtt_url=["mqtt://a", "mqtts://b"], topic_prefix="a/+")
    assert set(info.value.problems) == {"mqtt_url", "topic_prefix"}
    with pytest.raises(BadSettings, match="mqtt_password_file"):
        AgentSettings(mqtt_password_file=tmp_path / "none")


def test_the_password_is_the_first_line_of_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("  s3cret \nignored\n", encoding="utf-8")
    assert load(["--mqtt-password-file", str(secret)]).mqtt_password() == "s3cret"
    assert load([]).mqtt_password() is None


@pytest.mark.parametrize(
    ("args", "env", "status", "message"),
    [
        (
            ["--simulate", "--check-config"],
            {"PIGW_AGENT_MQTT_KEEPALIVE": "2"},
            1,
            "bad setting --mqtt-keepalive / PIGW_AGENT_MQTT_KEEPALIVE: '2' is not an integer",
        ),
        (["--simulate", "--bogus"], {}, 2, "pigw-agent: error: unrecognized arguments: --bogus"),
    ],
)
def test_the_command_exits_with_the_status_and_message(
    args: list[str], env: dict[str, str], status: int, message: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PIGW_AGENT_")}
    done = subprocess.run(
        [venv_command("pigw-agent"), *args],
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == status, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
