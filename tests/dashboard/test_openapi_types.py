"""The dashboard's API types come from the gateway's OpenAPI, never by hand (issue 5).

``gateway/web/src/api/openapi.json`` is committed together with the TypeScript generated from it
(``schema.ts``). This test fails when the gateway's schemas changed and nobody regenerated; the
Vitest test ``src/api/schema.test.ts`` fails when ``schema.ts`` does not match ``openapi.json``.
The stream's event names and data fields are ``pigw/contract/events.py``'s: the tests below hold
the committed document (and so the TypeScript generated from it) and the dashboard's list of event
names against that module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pigw.contract import events
from scripts.dump_openapi import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "gateway" / "web" / "src" / "api" / "openapi.json"


def test_committed_openapi_matches_the_gateway_app() -> None:
    current = openapi_document()
    assert '"/api/devices"' in current  # the dump really is the gateway's API
    if COMMITTED.read_text(encoding="utf-8") != current:
        pytest.fail(
            "gateway/web/src/api/openapi.json is out of date with the gateway: "
            "run `npm run gen:api` in gateway/web and commit both generated files"
        )


# --- the stream's vocabulary: pigw/contract/events.py is the source, OpenAPI and TS follow it ---
#: The OpenAPI component that documents each event's data.
EVENT_MODELS = {
    "snapshot": "Snapshot",
    "reading": "ReadingEvent",
    "actuator": "ActuatorEvent",
    "status": "StatusEvent",
    "meta": "MetaEvent",
    "ack": "CommandAck",
    "broker": "BrokerEvent",
    "reset": "ResetEvent",
    "alert": "AlertEvent",
}
DASHBOARD_EVENTS = COMMITTED.parent / "events.ts"


def _committed_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    return schemas


def test_every_event_name_is_documented_with_the_contracts_data_model() -> None:
    schemas = _committed_schemas()
    assert tuple(schemas["StreamEvent"]["properties"]["type"]["enum"]) == events.EVENT_NAMES
    assert set(EVENT_MODELS) == set(events.EVENT_NAMES)
    data_refs = {ref["$ref"] for ref in schemas["StreamEvent"]["properties"]["data"]["anyOf"]}
    assert data_refs == {f"#/components/schemas/{model}" for model in EVENT_MODELS.values()}


@pytest.mark.parametrize("name", events.EVENT_NAMES)
def test_each_documented_event_model_has_exactly_the_contracts_fields(name: str) -> None:
    model = _committed_schemas()[EVENT_MODELS[name]]
    required, optional = events.data_fields(name)
    assert set(model["properties"]) == required | optional
    assert set(model.get("required", [])) == required


def test_the_documented_reset_reasons_are_the_contracts() -> None:
    reason = _committed_schemas()["ResetEvent"]["properties"]["reason"]
    assert tuple(reason["enum"]) == events.RESET_REASONS


#: CONTRACT.md v3 names the live event ``alert``; the dashboard (issue 15) listens for it before
#: ``pigw/contract/events.py`` does (the alerts branch adds it there). Whatever the module does not
#: name yet is allowed, after its own names; once it names it, this is empty and the test is exact.
CONTRACT_V3_EVENTS = ("alert",)


def test_the_dashboard_listens_for_exactly_the_contracts_event_names() -> None:
    # The payload types in events.ts are generated (schema.ts); the list of names it listens for
    # and its union of events are written there: they must name what the contract names.
    pending = tuple(name for name in CONTRACT_V3_EVENTS if name not in events.EVENT_NAMES)
    source = DASHBOARD_EVENTS.read_text(encoding="utf-8")
    listed = re.search(r"EVENT_TYPES: readonly StreamEventType\[\] = \[(.*?)\];", source, re.S)
    assert listed is not None, "EVENT_TYPES not found in gateway/web/src/api/events.ts"
    assert tuple(re.findall(r'"(\w+)"', listed.group(1))) == events.EVENT_NAMES + pending
    union = set(re.findall(r'\{ type: "(\w+)"; id:', source))
    assert union == set(events.EVENT_NAMES) | set(pending)
