"""Free loopback ports and waiting for a listener."""

from __future__ import annotations

import socket

from tests.support.waiting import wait_until


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Block until ``host:port`` accepts connections."""
    wait_until(lambda: accepts_connections(port, host), timeout, f"a listener on {host}:{port}")


def wait_for_port_closed(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Block until nothing accepts connections on ``host:port`` any more."""
    wait_until(lambda: not accepts_connections(port, host), timeout, f"{host}:{port} to close")
