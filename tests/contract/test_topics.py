"""Every topic row of CONTRACT.md: built exactly, parsed back, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pigw.contract import ContractError, ParsedTopic, TopicKind, Topics, check_prefix, derive_id

T = Topics()


@pytest.mark.parametrize(
    ("built", "expected", "parsed"),
    [
        (T.status("kitchen"), "pigw/kitchen/status", ParsedTopic(TopicKind.STATUS, "kitchen")),
        (T.meta("kitchen"), "pigw/kitchen/meta", ParsedTopic(TopicKind.META, "kitchen")),
        (
            T.state("kitchen", "temp1"),
            "pigw/kitchen/temp1/state",
            ParsedTopic(TopicKind.STATE, "kitchen", "temp1"),
        ),
        (
            T.availability("kitchen", "temp1"),
            "pigw/kitchen/temp1/availability",
            ParsedTopic(TopicKind.AVAILABILITY, "kitchen", "temp1"),
        ),
        (T.backlog("kitchen"), "pigw/kitchen/backlog", ParsedTopic(TopicKind.BACKLOG, "kitchen")),
        (
            T.state("kitchen", "relay1"),
            "pigw/kitchen/relay1/state",
            ParsedTopic(TopicKind.STATE, "kitchen", "relay1"),
        ),
        (
            T.command("kitchen", "relay1"),
            "pigw/kitchen/relay1/set",
            ParsedTopic(TopicKind.SET, "kitchen", "relay1"),
        ),
        (T.replay("kitchen"), "pigw/kitchen/replay", ParsedTopic(TopicKind.REPLAY, "kitchen")),
        (
            T.ack("kitchen", "relay1"),
            "pigw/kitchen/relay1/ack",
            ParsedTopic(TopicKind.ACK, "kitchen", "relay1"),
        ),
        (
            T.gateway_status("gw-1"),
            "pigw/_gateway/gw-1/status",
            ParsedTopic(TopicKind.GATEWAY_STATUS, "gw-1"),
        ),
        (
            T.alert("tank-low", "garden", "tank"),
            "pigw/_alerts/tank-low/garden/tank",
            ParsedTopic(TopicKind.ALERT, "garden", "tank", "tank-low"),
        ),
        (
            T.alert("pi-offline", "garden"),
            "pigw/_alerts/pi-offline/garden",
            ParsedTopic(TopicKind.ALERT, "garden", None, "pi-offline"),
        ),
    ],
)
def test_every_contract_topic_builds_and_parses_back(
    built: str, expected: str, parsed: ParsedTopic
) -> None:
    assert built == expected
    assert T.parse(built) == parsed


def test_discovery_and_filters() -> None:
    assert T.discovery("kitchen") == "homeassistant/device/kitchen/config"
    assert T.ha_status() == "homeassistant/status"
    assert T.all_filter() == "pigw/#"
    assert T.command_filter("kitchen") == "pigw/kitchen/+/set"
    assert T.alerts_filter() == "pigw/_alerts/#"


def test_custom_prefixes_with_several_levels() -> None:
    topics = Topics("site1/pigw", "ha")
    assert topics.state("a", "b") == "site1/pigw/a/b/state"
    assert topics.parse("site1/pigw/a/b/state") == ParsedTopic(TopicKind.STATE, "a", "b")
    assert topics.discovery("a") == "ha/device/a/config"
    with pytest.raises(ContractError) as info:
        topics.parse("pigw/a/b/state")
    assert info.value.reason == "bad_topic"


@pytest.mark.parametrize(
    "topic",
    [
        "other/kitchen/status",
        "pigw",
        "pigw/",
        "pigw/kitchen",
        "pigw/kitchen/unknown",
        "pigw/kitchen/temp1/unknown",
        "pigw/kitchen/temp1/state/extra",
        "pigw/_gateway/gw/other",
        "pigw/_gateway/status",
        "pigw/_alerts/rule",
        "pigw/_alerts/rule/dev/point/extra",
        "pigw/_alerts/Rule/dev",
        "pigw//temp1/state",
    ],
)
def test_topics_off_the_contract_are_refused(topic: str) -> None:
    with pytest.raises(ContractError) as info:
        T.parse(topic)
    assert info.value.reason in {"bad_topic", "bad_id"}


@pytest.mark.parametrize(
    "topic",
    [
        "pigw/Kitchen/status",  # upper case
        "pigw/-kitchen/status",  # must start with [a-z0-9]
        "pigw/kit chen/status",
        "pigw/" + "a" * 65 + "/status",  # too long
        "pigw/kitchen/Temp/state",
        "pigw/kitchen/status/state",  # reserved word as a sensor id
        "pigw/meta/temp/state",  # reserved word as a device id
        "pigw/_gateway/Bad/status",
    ],
)
def test_bad_ids_in_topics_are_refused(topic: str) -> None:
    with pytest.raises(ContractError) as info:
        T.parse(topic)
    assert info.value.reason == "bad_id"


@pytest.mark.parametrize(
    "bad", ["Kitchen", "", "a" * 65, "status", "replay", "_gateway", "a/b", "a+"]
)
def test_builders_refuse_bad_ids(bad: str) -> None:
    with pytest.raises(ContractError):
        T.state(bad, "temp")
    with pytest.raises(ContractError):
        T.command("kitchen", bad)


@pytest.mark.parametrize("bad", ["", "/pigw", "pigw/", "pi/+/gw", "pigw/#", "$SYS", "a//b"])
def test_bad_prefixes_are_refused(bad: str) -> None:
    with pytest.raises(ContractError) as info:
        check_prefix(bad)
    assert info.value.reason == "bad_prefix"


def test_derive_id_makes_host_names_into_ids() -> None:
    assert derive_id("RaspberryPi.local") == "raspberrypi-local"
    assert derive_id("___") == "pigw"
    assert derive_id("a" * 100) == "a" * 64


@given(st.text(max_size=80))
def test_parse_either_returns_a_topic_of_the_contract_or_refuses(topic: str) -> None:
    try:
        parsed = T.parse(topic)
    except ContractError as exc:
        assert exc.reason in {"bad_topic", "bad_id"}
    else:
        assert topic.startswith("pigw/")
        assert parsed.kind in TopicKind
