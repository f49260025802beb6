"""Shared settings: broker URL, credentials, TLS files and errors that name the offending key.

Every behaviour is checked on both declarations of the common flags: the gateway's
pydantic-settings class (:class:`pigw.settings.CommonSettings`, :func:`pigw.settings.load_settings`)
and the agent's msgspec Struct (:class:`pigw.common_flags.CommonFlags`,
:func:`pigw.struct_settings.load_struct_settings`), so the two commands read them alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from pigw.broker_access import BrokerAddress, parse_mqtt_url
from pigw.common_flags import CommonFlags
from pigw.settings import CommonSettings, SettingsError, load_settings
from pigw.struct_settings import load_struct_settings


class DemoSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PIGW_DEMO_")


class DemoFlags(CommonFlags, kw_only=True, frozen=True):
    env_prefix: ClassVar[str] = "PIGW_DEMO_"
    prog: ClassVar[str] = "pigw-demo"


Loader = Callable[[list[str]], Any]


@pytest.fixture(params=["pydantic", "msgspec"])
def load_settings_of(request: pytest.FixtureRequest) -> Loader:
    """Read the demo settings from these flags (and the environment) with one of the loaders."""
    if request.param == "pydantic":
        return lambda args: load_settings(DemoSettings, args)
    return lambda args: load_struct_settings(DemoFlags, args)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://127.0.0.1:1883", BrokerAddress("127.0.0.1", 1883, tls=False)),
        ("mqtt://broker.lan", BrokerAddress("broker.lan", 1883, tls=False)),
        ("mqtts://broker.lan", BrokerAddress("broker.lan", 8883, tls=True)),
        ("mqtts://[::1]:9000", BrokerAddress("::1", 9000, tls=True)),
    ],
)
def test_mqtt_urls(url: str, expected: BrokerAddress) -> None:
    assert parse_mqtt_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://h", "mqtt://", "mqtt://u:p@h", "mqtt://h:99999", "mqtt://h/topic", "h:1883"],
)
def test_bad_mqtt_urls(url: str) -> None:
    with pytest.raises(ValueError, match="mqtt"):
        parse_mqtt_url(url)


def test_defaults_follow_the_contract(load_settings_of: Loader) -> None:
    settings = load_settings_of([])
    assert settings.mqtt_url == ["mqtt://127.0.0.1:1883"]
    assert settings.brokers == [BrokerAddress("127.0.0.1", 1883, tls=False)]
    assert settings.topic_prefix == "pigw"
    assert settings.mqtt_keepalive == 15
    assert settings.tls_context() is None
    assert settings.mqtt_password() is None


def test_flags_and_environment(
    load_settings_of: Loader, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\nignored\n")
    monkeypatch.setenv("PIGW_DEMO_TOPIC_PREFIX", "site1/pigw")
    settings = load_settings_of(
        ["--mqtt-url", "mqtts://b:8884", "--mqtt-password-file", str(secret)]
    )
    assert settings.topic_prefix == "site1/pigw"
    assert settings.broker == BrokerAddress("b", 8884, tls=True)
    assert settings.mqtt_password() == "s3cret"
    assert settings.tls_context() is not None


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--mqtt-keepalive", "1"], {}, "--mqtt-keepalive / PIGW_DEMO_MQTT_KEEPALIVE"),
        ([], {"PIGW_DEMO_MQTT_URL": "tcp://x"}, "--mqtt-url / PIGW_DEMO_MQTT_URL"),
        (["--mqtt-url", "mqtt://a", "--mqtt-url", "tcp://b"], {}, "--mqtt-url / PIGW_DEMO_MQTT"),
        (["--mqtt-url", "mqtt://a", "--mqtt-url", "mqtts://b"], {}, "same scheme"),
        ([], {"PIGW_DEMO_MQTT_URL": " , "}, "at least one broker URL"),
        (["--topic-prefix", "a/#"], {}, "--topic-prefix / PIGW_DEMO_TOPIC_PREFIX"),
        (["--mqtt-ca-file", "/nonexistent"], {}, "--mqtt-ca-file / PIGW_DEMO_MQTT_CA_FILE"),
        (["--log-format", "xml"], {}, "--log-format / PIGW_DEMO_LOG_FORMAT"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_key(
    load_settings_of: Loader,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    named: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        load_settings_of(args)
    assert isinstance(info.value.code, str)  # printed by Python, exit status 1
    assert named in str(info.value)


def test_one_broker_url_from_the_environment_works_as_before(
    load_settings_of: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIGW_DEMO_MQTT_URL", "mqtt://broker.lan:1884")
    settings = load_settings_of([])
    assert settings.mqtt_url == ["mqtt://broker.lan:1884"]
    assert settings.broker == BrokerAddress("broker.lan", 1884, tls=False)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (
            [
                "--mqtt-url",
                "mqtt://n1:1883",
                "--mqtt-url",
                "mqtt://n2",
                "--mqtt-url",
                "mqtt://n3:9",
            ],
            {},
        ),
        (["--mqtt-url", "mqtt://n1:1883,mqtt://n2"], {"PIGW_DEMO_MQTT_URL": "mqtt://ignored"}),
        ([], {"PIGW_DEMO_MQTT_URL": "mqtt://n1:1883, mqtt://n2"}),
    ],
)
def test_several_broker_urls_for_failover_keep_their_order(
    load_settings_of: Loader, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings_of(args)
    assert settings.brokers[:2] == [
        BrokerAddress("n1", 1883, tls=False),
        BrokerAddress("n2", 1883, tls=False),
    ]
    assert settings.broker == settings.brokers[0]
