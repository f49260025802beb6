"""``pigw-gateway`` / ``python -m gateway``: run the gateway, or ``token create`` a token."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pigw
from gateway.auth import TokenFileError, create_token
from gateway.server import serve
from gateway.settings import GatewaySettings, is_loopback
from pigw.logs import configure_logging
from pigw.settings import load_settings

logger = logging.getLogger("gateway")


def token_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pigw-gateway token",
        description="Manage the gateway's tokens file (see docs/security.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create", help="add a token to the tokens file and print it (once)"
    )
    create.add_argument("--name", required=True, help="who or what uses the token")
    create.add_argument(
        "--role", required=True, help="viewer (read, stream) or operator (commands)"
    )
    create.add_argument("--tokens-file", required=True, type=Path, help="created if missing")
    args = parser.parse_args(argv)
    try:
        token = create_token(args.tokens_file, args.name, args.role)
    except (TokenFileError, OSError) as exc:
        print(f"pigw-gateway token create: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(
        f"added {args.name!r} ({args.role}) to {args.tokens_file}; the token is shown only now",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["token"]:
        raise SystemExit(token_main(args[1:]))
    if "--version" in args:
        print(f"pigw-gateway {pigw.__version__}")  # the installed distribution's version
        return
    settings = load_settings(GatewaySettings, args)
    configure_logging(settings.log_level, settings.log_format)
    if settings.open_access and not is_loopback(settings.host):
        logger.warning(
            "--insecure: listening on %s without a tokens file; anyone who reaches this port "
            "can read every device and send commands",
            settings.host,
        )
    logger.info(
        "starting",
        extra={
            "listen": f"{settings.host}:{settings.port}",
            "mqtt": settings.mqtt_url,
            "gateway_id": settings.resolved_gateway_id,
            "auth": "open" if settings.open_access else "tokens",
        },
    )
    serve(settings)


if __name__ == "__main__":
    main()
