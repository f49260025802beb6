"""A real Mosquitto, started from the project's own configuration on a free loopback port.

The fixture rewrites only the port of the ``listener`` line in ``mosquitto/dev.conf`` (or another
config of ours), so tests run the configuration that users run. The broker can be stopped, killed,
paused and started again on the same port for fault tests.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from tests.support.ports import free_port, wait_for_port, wait_for_port_closed
from tests.support.processes import REPO, ManagedProcess

DEV_CONF = REPO / "mosquitto" / "dev.conf"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def render_config(
    template: Path,
    port: int,
    replacements: Mapping[str, str] | None = None,
    *,
    tls_port: int | None = None,
) -> str:
    """The text of ``template`` with its first loopback ``listener`` moved to ``port`` and each
    ``replacements`` key replaced by its value (paths of password files, certificates, …).

    With ``tls_port``, the one ``listener <port>`` line without an address (production.conf's TLS
    listener, which binds every interface) moves to ``127.0.0.1:tls_port``."""
    text = template.read_text(encoding="utf-8")
    text, count = re.subn(
        r"^listener \d+ 127\.0\.0\.1$", f"listener {port} 127.0.0.1", text, count=1, flags=re.M
    )
    if count != 1:
        raise ValueError(f"{template} has no 'listener <port> 127.0.0.1' line to move")
    if tls_port is not None:
        text, count = re.subn(
            r"^listener \d+$", f"listener {tls_port} 127.0.0.1", text, count=2, flags=re.M
        )
        if count != 1:
            raise ValueError(f"{template} needs exactly one 'listener <port>' line, has {count}")
    for old, new in (replacements or {}).items():
        if old not in text:
            raise ValueError(f"{template} does not contain {old!r}")
        text = text.replace(old, new)
    return text


class Mosquitto:
    """A Mosquitto process on ``127.0.0.1:port`` with its config and log in ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        template: Path = DEV_CONF,
        port: int | None = None,
        replacements: Mapping[str, str] | None = None,
        extra_config: str = "",
        *,
        tls_port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        #: the TLS listener's loopback port (see :func:`render_config`), when asked for one
        self.tls_port = tls_port
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / f"mosquitto-{self.port}.conf"
        self.config_path.write_text(
            render_config(template, self.port, replacements, tls_port=tls_port)
            + "\n"
            + extra_config,
            encoding="utf-8",
        )
        self.process = ManagedProcess(
            [MOSQUITTO, "-c", str(self.config_path)], workdir / f"mosquitto-{self.port}.log"
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        """``mqtts://127.0.0.1:<tls_port>`` (only with ``tls_port``)."""
        if self.tls_port is None:
            raise RuntimeError("this broker was started without a TLS listener")
        return f"mqtts://127.0.0.1:{self.tls_port}"

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def running(self) -> bool:
        return self.process.running

    def start(self, timeout: float = 10.0) -> Mosquitto:
        """Start (again, on the same port) and return once it accepts connections."""
        self.process.start()
        try:
            wait_for_port(self.port, timeout)
            if self.tls_port is not None:
                wait_for_port(self.tls_port, timeout)
        except AssertionError:
            self.process.kill()
            raise AssertionError(f"mosquitto did not start:\n{self.process.tail()}") from None
        return self

    def stop(self) -> None:
        """A clean shutdown (SIGTERM)."""
        self.process.stop()
        wait_for_port_closed(self.port)

    def kill(self) -> None:
        """SIGKILL: what was not persisted is lost, clients see their connection drop."""
        self.process.kill()
        wait_for_port_closed(self.port)

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the broker: connections stay open but nothing moves (keepalive tests)."""
        self.process.pause()

    def resume(self) -> None:
        self.process.resume()

    def log(self) -> str:
        return self.process.output()
