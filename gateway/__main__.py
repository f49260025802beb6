"""``pigw-gateway`` / ``python -m gateway``."""

from __future__ import annotations

from gateway.settings import GatewaySettings
from pigw.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    load_settings(GatewaySettings, argv)
    raise SystemExit("pigw-gateway: the gateway is not built yet (issue 4)")


if __name__ == "__main__":
    main()
