"""The alerts file: what is accepted, and that every refusal names the rule and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.alerts.rules import (
    AlertsFileError,
    MqttNotifier,
    WebhookNotifier,
    load_rules,
    parse_duration,
    parse_rules,
)

GOOD = """
[notifiers.phone]
type = "webhook"
url = "http://127.0.0.1:9/hook"
headers = { Title = "pigw" }

[notifiers.broker]
type = "mqtt"

[[rules]]
id = "tank-low"
device = "garden"
point = "tank"
when = "below"
threshold = 20
clear = 25
for = "5m"
severity = "critical"
notify = ["phone", "broker"]

[[rules]]
id = "pi-offline"
device = "*"
when = "offline"
for = 300
"""


def test_a_good_file_is_read_with_its_defaults() -> None:
    rules = parse_rules(GOOD)
    tank, offline = rules.rules
    assert tank.id == "tank-low" and tank.when == "below" and tank.point == "tank"
    assert tank.threshold == 20.0 and tank.clear == 25.0 and tank.for_s == 300.0
    assert tank.notify == ("phone", "broker") and tank.severity == "critical"
    assert offline.device == "*" and offline.point is None and offline.for_s == 300.0
    assert offline.severity == "warning" and offline.notify == ()
    assert offline.matches("any-pi", None) and not tank.matches("other", "tank")
    phone = rules.notifiers["phone"]
    assert isinstance(phone, WebhookNotifier) and phone.headers == (("Title", "pigw"),)
    assert isinstance(rules.notifiers["broker"], MqttNotifier)


def test_clear_defaults_to_the_threshold() -> None:
    rules = parse_rules('[[rules]]\nid="hot"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold=30\n')
    assert rules.rules[0].clear == 30.0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold=1\ntreshold=2',
            "rule 'r1': key 'treshold'",
        ),
        ('id="r1"\ndevice="a"\npoint="t"\nwhen="above"', "rule 'r1': key 'threshold': missing"),
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold=1\nfor="5 minutes"',
            "rule 'r1': key 'for'",
        ),
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold=1\nfor=-1',
            "rule 'r1': key 'for'",
        ),
        ('id="r1"\ndevice="a"\nwhen="above"\nthreshold=1', "rule 'r1': key 'point': missing"),
        ('id="r1"\ndevice="a"\npoint="t"\nwhen="offline"', "rule 'r1': key 'point'"),
        ('id="r1"\ndevice="a"\nwhen="offline"\nthreshold=3', "rule 'r1': key 'threshold'"),
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold=5\nclear=6',
            "rule 'r1': key 'clear'",
        ),
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="below"\nthreshold=5\nclear=4',
            "rule 'r1': key 'clear'",
        ),
        ('id="r1"\ndevice="a"\npoint="t"\nwhen="sideways"', "rule 'r1': key 'when'"),
        ('id="r1"\ndevice="A B"\nwhen="offline"', "rule 'r1': key 'device'"),
        ('id="r1"\ndevice="a"\nwhen="offline"\nseverity="loud"', "rule 'r1': key 'severity'"),
        (
            'id="r1"\ndevice="a"\nwhen="offline"\nnotify=["pager"]',
            "rule 'r1': key 'notify': no notifier 'pager'",
        ),
        ('device="a"\nwhen="offline"', "rule #1: key 'id': missing"),
        (
            'id="r1"\ndevice="a"\npoint="t"\nwhen="above"\nthreshold="high"',
            "rule 'r1': key 'threshold'",
        ),
    ],
)
def test_a_bad_rule_is_refused_naming_the_rule_and_the_key(body: str, named: str) -> None:
    with pytest.raises(AlertsFileError) as caught:
        parse_rules("[[rules]]\n" + body + "\n")
    assert named in str(caught.value)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('type="webhook"', "notifier 'n': key 'url': missing"),
        ('type="webhook"\nurl="ftp://x/"', "notifier 'n': key 'url'"),
        ('type="webhook"\nurl="http://127.0.0.1/"\nheaders={A=1}', "notifier 'n': key 'headers'"),
        ('type="webhook"\nurl="http://127.0.0.1/"\nmethod="PUT"', "notifier 'n': key 'method'"),
        ('type="mqtt"\ntopic="x"', "notifier 'n': key 'topic'"),
        ('type="email"', "notifier 'n': key 'type'"),
    ],
)
def test_a_bad_notifier_is_refused_naming_it_and_the_key(table: str, named: str) -> None:
    with pytest.raises(AlertsFileError) as caught:
        parse_rules("[notifiers.n]\n" + table + "\n")
    assert named in str(caught.value)


def test_two_rules_with_one_id_are_refused() -> None:
    rule = '[[rules]]\nid="r1"\ndevice="a"\nwhen="offline"\n'
    with pytest.raises(AlertsFileError, match="rule 'r1': key 'id'"):
        parse_rules(rule + rule)


def test_an_unknown_top_level_key_and_bad_toml_are_refused() -> None:
    with pytest.raises(AlertsFileError, match="unknown key 'rule'"):
        parse_rules('[[rule]]\nid="r1"\n')
    with pytest.raises(AlertsFileError, match="not valid TOML"):
        parse_rules("[[rules]\n")


def test_load_rules_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[rules]]\nid="r1"\ndevice="a"\nwhen="offline"\nfor="soon"\n')
    with pytest.raises(AlertsFileError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value) and "key 'for'" in str(caught.value)
    with pytest.raises(AlertsFileError, match="cannot be read"):
        load_rules(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (0, 0.0),
        (90, 90.0),
        (1.5, 1.5),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
    ],
)
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["", "5", "5 m", "m5", "1w", True, -3, "8d", float("inf"), [1]])
def test_bad_durations(raw: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        parse_duration(raw)


def test_the_shipped_example_loads() -> None:
    example = load_rules(Path(__file__).parents[2] / "deploy" / "alerts.example.toml")
    whens = {rule.when for rule in example.rules}
    assert {"above", "below", "offline"} <= whens
    offline = next(rule for rule in example.rules if rule.when == "offline")
    assert offline.device == "*" and offline.for_s == 300.0
    assert all(name in example.notifiers for rule in example.rules for name in rule.notify)
