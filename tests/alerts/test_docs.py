"""docs/alerts.md's examples work: every TOML block checks, the Home Assistant automation is YAML
fed by the alert topic, and the start-up error it quotes is the one the gateway prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gateway.alerts.rules import parse_rules
from gateway.settings import GatewaySettings
from pigw.contract import TopicKind, Topics
from pigw.settings import SettingsError, load_settings

DOC = Path(__file__).parents[2] / "docs" / "alerts.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_every_toml_example_checks() -> None:
    found = blocks("toml")
    assert len(found) >= 2
    full = parse_rules(found[0])
    assert [rule.id for rule in full.rules] == ["tank-low"]
    assert set(full.notifiers) == {"phone", "broker"}
    ntfy = parse_rules(found[1]).notifiers["ntfy"]
    assert dict(getattr(ntfy, "headers", ()))["X-Template"] == "yes"


def test_the_home_assistant_automation_listens_to_the_alert_topics() -> None:
    (automation,) = [yaml.safe_load(block) for block in blocks("yaml")]
    (trigger,) = automation["triggers"]
    assert trigger["trigger"] == "mqtt" and trigger["topic"] == Topics().alerts_filter()
    assert Topics().parse("pigw/_alerts/tank-low/garden/tank").kind is TopicKind.ALERT
    assert "payload_json.state == 'firing'" in automation["conditions"][0]["value_template"]


def test_the_quoted_start_up_error_is_what_the_gateway_says(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[rules]]\nid = "tank-low"\ndevice = "g"\npoint = "tank"\nwhen = "below"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(GatewaySettings, ["--alerts-file", str(path)])
    quoted = re.search(r"rule 'tank-low': key 'threshold': [^\n]*", DOC.read_text())
    assert quoted is not None and quoted.group(0) in str(caught.value)
