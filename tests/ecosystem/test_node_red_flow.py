"""The example flow in ``docs/node-red/`` is importable and speaks the contract (pure checks).

The integration test (``test_node_red.py``) runs it in a real Node-RED; these catch a broken file
before that: dangling wires, a wrong default broker, topics the contract does not define, retained
commands.
"""

from __future__ import annotations

import re

from pigw.contract import TopicKind, Topics
from tests.ecosystem.node_red import flow_for, load_example_flow

TOPICS = Topics()


def by_type(node_type: str) -> list[dict]:  # type: ignore[type-arg]
    return [node for node in load_example_flow() if node["type"] == node_type]


def concrete(topic_filter: str) -> str:
    """A topic the filter matches, with every ``+`` replaced by an id."""
    return "/".join("dev1" if level == "+" else level for level in topic_filter.split("/"))


def test_every_node_has_a_unique_id_and_every_wire_and_reference_resolves() -> None:
    flow = load_example_flow()
    ids = [node["id"] for node in flow]
    assert len(ids) == len(set(ids))
    known = set(ids)
    (tab,) = by_type("tab")
    for node in flow:
        if "z" in node:
            assert node["z"] == tab["id"], node["id"]
        for output in node.get("wires", []):
            assert set(output) <= known, node["id"]
        if "broker" in node and node["type"] != "mqtt-broker":
            assert node["broker"] in known, node["id"]


def test_the_broker_node_defaults_to_the_local_mosquitto_without_credentials() -> None:
    (broker,) = by_type("mqtt-broker")
    assert (broker["broker"], broker["port"]) == ("127.0.0.1", "1883")
    assert "credentials" not in broker


def test_subscriptions_are_contract_topics() -> None:
    kinds = {}
    for node in by_type("mqtt in"):
        kinds[node["topic"]] = TOPICS.parse(concrete(node["topic"])).kind
        assert node["qos"] == "1"
    assert kinds == {
        "pigw/+/+/state": TopicKind.STATE,
        "pigw/+/status": TopicKind.STATUS,
        "pigw/+/+/ack": TopicKind.ACK,
    }


def test_commands_go_out_at_qos_1_never_retained_with_a_cid_and_a_deadline() -> None:
    (out,) = by_type("mqtt out")
    assert out["qos"] == "1" and out["retain"] == "false"
    (command,) = [n for n in by_type("function") if n["wires"] == [[out["id"]]]]
    code = command["func"]
    assert "msg.retain = false" in code
    assert re.search(r"JSON\.stringify\(\{ value: on, cid, exp \}\)", code)
    assert "`pigw/${device}/${actuator}/set`" in code
    assert TOPICS.parse(concrete("pigw/+/relay1/set")).kind is TopicKind.SET


def test_the_relay_path_is_two_inject_buttons_on_relay1() -> None:
    injects = {node["name"]: node for node in by_type("inject")}
    assert set(injects) == {"relay1 ON", "relay1 OFF"}
    assert injects["relay1 ON"]["payload"] == "true"
    assert injects["relay1 OFF"]["payload"] == "false"
    assert all(node["repeat"] == "" and not node["once"] for node in injects.values())


def test_flow_for_a_test_changes_only_the_broker_port_and_the_device() -> None:
    original = load_example_flow()
    changed = flow_for(original, 18830, "nr-pi")
    assert len(changed) == len(original)
    differences = [
        (a["id"], key)
        for a, b in zip(original, changed, strict=True)
        for key in a
        if a[key] != b[key]
    ]
    assert sorted(differences) == [("pigw-broker", "port"), ("pigw-example", "env")]
    assert load_example_flow() == original  # the file itself is untouched
