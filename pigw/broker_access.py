"""How a command reaches the broker: its URLs, the password file and the TLS context.

Pure functions, no validation library: both settings classes (the gateway's pydantic
:class:`pigw.settings.CommonSettings` and the agent's msgspec :class:`pigw.common_flags.CommonFlags`)
call these, so a URL, a file or a TLS option means the same to both commands. A bad value raises
:class:`ValueError` whose message the settings loaders put after the flag's name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is, from ``mqtt://host:port`` or ``mqtts://host:port`` (TLS)."""

    host: str
    port: int
    tls: bool


def parse_mqtt_url(url: str) -> BrokerAddress:
    """Parse ``--mqtt-url``; the port defaults to 1883 (``mqtt``) or 8883 (``mqtts``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"{url!r}: the scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"{url!r}: no host")
    if parts.username or parts.password:
        raise ValueError(f"{url!r}: put credentials in --mqtt-username / --mqtt-password-file")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: only mqtt[s]://host[:port] is understood")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r}: bad port") from exc
    tls = parts.scheme == "mqtts"
    return BrokerAddress(parts.hostname, port or (8883 if tls else 1883), tls)


def split_mqtt_urls(values: str | Iterable[str]) -> list[str]:
    """One URL or several, separated by commas (the environment variable), or a list of such
    strings (the repeated flag): every URL, in order, without blanks."""
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def check_mqtt_urls(urls: list[str]) -> list[str]:
    """At least one URL, each one valid, all with the same scheme (one TLS configuration, CA and
    client certificate, serves every node of a cluster)."""
    if not urls:
        raise ValueError("at least one broker URL is needed")
    schemes = {parse_mqtt_url(url).tls for url in urls}
    if len(schemes) > 1:
        raise ValueError("all broker URLs must use the same scheme (mqtt:// or mqtts://)")
    return urls


def check_readable_file(path: Path | None) -> Path | None:
    """A file setting (password, CA, certificate, key) must name a file that exists."""
    if path is not None and not path.is_file():
        raise ValueError(f"{path} is not a readable file")
    return path


def read_mqtt_password(path: Path | None) -> str | None:
    """The password from the password file (first line, stripped), read when connecting; ``None``
    without a file."""
    if path is None:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].strip() if lines else ""


def make_tls_context(
    broker: BrokerAddress,
    ca_file: Path | None,
    cert_file: Path | None,
    key_file: Path | None,
) -> ssl.SSLContext | None:
    """A verifying TLS context for ``mqtts://`` (CA file or system store, optional client
    certificate), or ``None`` for plain ``mqtt://``."""
    if not broker.tls:
        return None
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if cert_file is not None:
        context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
    return context


class BrokerAccess:
    """What both settings classes offer from their broker flags (``mqtt_url``, the password file,
    the TLS files): mixed into the gateway's pydantic class and the agent's msgspec Struct, so the
    two stay one implementation. Slot-less, as msgspec requires of a mixin."""

    __slots__ = ()

    if TYPE_CHECKING:  # the flags the class mixed into declares (not fields of their own here:
        # pydantic would take them as fields and reorder the gateway's flags)
        mqtt_url: list[str]
        mqtt_password_file: Path | None
        mqtt_ca_file: Path | None
        mqtt_cert_file: Path | None
        mqtt_key_file: Path | None

    @property
    def brokers(self) -> list[BrokerAddress]:
        """Every broker URL, in the order given (the nodes of one cluster)."""
        return [parse_mqtt_url(url) for url in self.mqtt_url]

    @property
    def broker(self) -> BrokerAddress:
        """The first broker: the only one without failover."""
        return self.brokers[0]

    def mqtt_password(self) -> str | None:
        """The password from ``mqtt_password_file`` (first line, stripped), read when connecting."""
        return read_mqtt_password(self.mqtt_password_file)

    def tls_context(self) -> ssl.SSLContext | None:
        """A verifying TLS context for ``mqtts://`` (CA file or system store, optional client
        certificate), or ``None`` for plain ``mqtt://``."""
        return make_tls_context(
            self.broker, self.mqtt_ca_file, self.mqtt_cert_file, self.mqtt_key_file
        )
