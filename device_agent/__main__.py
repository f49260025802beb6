"""``pigw-agent`` / ``python -m device_agent``."""

from __future__ import annotations

from device_agent.settings import AgentSettings
from pigw.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    load_settings(AgentSettings, argv)
    raise SystemExit("pigw-agent: the agent is not built yet (issue 3)")


if __name__ == "__main__":
    main()
