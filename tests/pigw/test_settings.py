"""Shared settings: broker URL, credentials, TLS files and errors that name the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from pigw.settings import (
    BrokerAddress,
    CommonSettings,
    SettingsError,
    load_settings,
    parse_mqtt_url,
)


class DemoSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PIGW_DEMO_")


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


def test_defaults_follow_the_contract() -> None:
    settings = load_settings(DemoSettings, [])
    assert settings.mqtt_url == ["mqtt://127.0.0.1:1883"]
    assert settings.brokers == [BrokerAddress("127.0.0.1", 1883, tls=False)]
    assert settings.topic_prefix == "pigw"
    assert settings.mqtt_keepalive == 15
    assert settings.tls_context() is None
    assert settings.mqtt_password() is None


def test_flags_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\nignored\n")
    monkeypatch.setenv("PIGW_DEMO_TOPIC_PREFIX", "site1/pigw")
    settings = load_settings(
        DemoSettings, ["--mqtt-url", "mqtts://b:8884", "--mqtt-password-file", str(secret)]
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
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        load_settings(DemoSettings, args)
    assert named in str(info.value)


def test_one_broker_url_from_the_environment_works_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIGW_DEMO_MQTT_URL", "mqtt://broker.lan:1884")
    settings = load_settings(DemoSettings, [])
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
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(DemoSettings, args)
    assert settings.brokers[:2] == [
        BrokerAddress("n1", 1883, tls=False),
        BrokerAddress("n2", 1883, tls=False),
    ]
    assert settings.broker == settings.brokers[0]
