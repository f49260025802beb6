"""The agent's process does not import pydantic (issue 18: RSS ≤ 40 MB; pydantic and
pydantic-settings cost the agent ~10 MB). Checked in a fresh interpreter, since this test process
has long imported pydantic for other tests: the settings path alone, and the whole agent."""

from __future__ import annotations

import json
import subprocess
import sys

VALIDATION_LIBRARIES = ("pydantic", "pydantic_core", "pydantic_settings")

# The settings path: the modules, then the real loader reading real flags and environment.
SETTINGS_PATH = """
import device_agent.settings, pigw.struct_settings, pigw.common_flags, pigw.broker_access
from device_agent.settings import AgentSettings
from pigw.struct_settings import load_struct_settings
settings = load_struct_settings(
    AgentSettings,
    ["--simulate", "--mqtt-url", "mqtt://127.0.0.1:1", "--mqtt-keepalive", "20"],
    {"PIGW_AGENT_DEVICE_ID": "weight-1", "PIGW_AGENT_CHECK_CONFIG": "yes"},
)
assert (settings.device_id, settings.mqtt_keepalive, settings.check_config) == ("weight-1", 20, True)
"""

# The whole agent: its entry point and everything it runs.
WHOLE_AGENT = (
    "import device_agent.__main__, device_agent.agent, device_agent.settings, device_agent.mqtt\n"
    + SETTINGS_PATH
)


def loaded_validation_libraries(code: str) -> list[str]:
    """The pydantic modules a fresh interpreter holds after running ``code``."""
    report = (
        "import json, sys\n"
        f"{code}\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        f"if m.partition('.')[0] in {VALIDATION_LIBRARIES!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", report], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return loaded


def test_the_agents_settings_load_without_pydantic() -> None:
    assert loaded_validation_libraries(SETTINGS_PATH) == []


def test_the_check_sees_pydantic_when_it_is_there() -> None:
    # The probe itself can fail: the gateway's settings do import pydantic-settings.
    loaded = loaded_validation_libraries("import gateway.settings")
    assert "pydantic" in loaded and "pydantic_settings" in loaded


def test_the_whole_agent_runs_without_pydantic() -> None:
    # Since the board file (device_agent/config.py, schema.py, kinds/*) and the settings both left
    # pydantic, nothing on the agent's path loads it.
    assert loaded_validation_libraries(WHOLE_AGENT) == []
