"""The production broker as users install it: ``mosquitto/production.conf`` with a password file
made by ``deploy/mqtt-account.sh``, ``mosquitto/acl.example`` as the ACL and certificates made by
``deploy/tls/make-certs.sh`` — the documented procedure (docs/security.md), run in a temporary folder.

What the tests change in the config: both listeners move to free loopback ports, the
``/etc/mosquitto/pigw/`` and ``/var/lib/mosquitto/`` paths point into temporary folders, and
``user root`` is appended because pytest's temporary folders are private to the user running the
tests (Mosquitto started as root would otherwise drop to the ``mosquitto`` user and fail to read
them; it has no effect for a non-root user). Nothing else. ``test_production_install.py`` runs the
install with the documented owners and modes in a folder the ``mosquitto`` user may enter, without
``user root``.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.broker.accounts import Account
from tests.support.broker import Mosquitto
from tests.support.ports import free_port
from tests.support.processes import REPO

PRODUCTION_CONF = REPO / "mosquitto" / "production.conf"
ACL_EXAMPLE = REPO / "mosquitto" / "acl.example"
MAKE_CERTS = REPO / "deploy" / "tls" / "make-certs.sh"
MQTT_ACCOUNT = REPO / "deploy" / "mqtt-account.sh"
INSTALL_DIR = "/etc/mosquitto/pigw/"
DATA_DIR = "/var/lib/mosquitto/"
#: The accounts of a small installation: two devices, the gateway, Home Assistant.
ACCOUNTS = ("dev1", "dev2", "_gateway", "_homeassistant")


def run_script(*argv: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in argv], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Installation:
    """``/etc/mosquitto/pigw`` of a test installation, and each client's password file."""

    etc: Path
    secrets: Path
    foreign_ca: Path  # a CA that signed nothing of this broker's

    @property
    def ca_file(self) -> Path:
        return self.etc / "ca.crt"

    def password_file(self, account: str) -> Path:
        return self.secrets / f"{account}.password"

    def password(self, account: str) -> str:
        return self.password_file(account).read_text(encoding="utf-8").strip()

    def tls_context(self, client_cert: str | None = None) -> ssl.SSLContext:
        """What a careful client does: verify the broker against our CA (and present a client
        certificate for mutual TLS)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if client_cert is not None:
            context.load_cert_chain(
                self.etc / f"client-{client_cert}.crt", self.etc / f"client-{client_cert}.key"
            )
        return context


@pytest.fixture(scope="session")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """Certificates, accounts and the ACL, made once per test session the documented way."""
    etc = tmp_path_factory.mktemp("etc-mosquitto-pigw")
    secrets = tmp_path_factory.mktemp("client-secrets")
    run_script(
        MAKE_CERTS, etc, "--server", "127.0.0.1", "--server", "localhost", "--client", "dev1"
    )
    foreign = tmp_path_factory.mktemp("foreign-pki")
    run_script(MAKE_CERTS, foreign, "--server", "127.0.0.1")
    for account in ACCOUNTS:
        run_script(MQTT_ACCOUNT, etc / "passwd", account, secrets / f"{account}.password")
    shutil.copyfile(ACL_EXAMPLE, etc / "acl")
    return Installation(etc=etc, secrets=secrets, foreign_ca=foreign / "ca.crt")


@dataclass
class ProductionBroker:
    """A running production broker and the installation it reads."""

    mosquitto: Mosquitto
    installation: Installation

    @property
    def port(self) -> int:
        return self.mosquitto.port

    @property
    def tls_port(self) -> int:
        assert self.mosquitto.tls_port is not None
        return self.mosquitto.tls_port

    def login(
        self,
        account: str,
        tls: bool = False,
        client_cert: str | None = None,
        client_id: str | None = None,
        session_expiry: int | None = None,
    ) -> Account:
        """Log in as ``account`` with its real password, on the plain or the TLS listener."""
        use_tls = tls or client_cert is not None
        return Account(
            self.tls_port if use_tls else self.port,
            account,
            self.installation.password(account),
            tls=self.installation.tls_context(client_cert) if use_tls else None,
            client_id=client_id,
            session_expiry=session_expiry,
        )


StartBroker = Callable[..., ProductionBroker]


@pytest.fixture
def start_production_broker(
    installation: Installation, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StartBroker]:
    """Start ``production.conf`` (with optional extra ``replacements``); stopped afterwards."""
    started: list[Mosquitto] = []

    def start(replacements: Mapping[str, str] | None = None) -> ProductionBroker:
        data = tmp_path / f"data-{len(started)}"
        data.mkdir()
        mosquitto = Mosquitto(
            tmp_path / "broker",
            template=PRODUCTION_CONF,
            tls_port=free_port(),
            replacements={
                INSTALL_DIR: f"{installation.etc}/",
                DATA_DIR: f"{data}/",
                **(replacements or {}),
            },
            extra_config="user root\n",
        )
        started.append(mosquitto)
        return ProductionBroker(mosquitto.start(), installation)

    try:
        yield start
    finally:
        for mosquitto in started:
            mosquitto.process.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            for mosquitto in started:
                print(f"--- mosquitto log ---\n{mosquitto.process.tail()}")


@pytest.fixture
def production_broker(start_production_broker: StartBroker) -> ProductionBroker:
    """``mosquitto/production.conf`` as shipped, on free loopback ports."""
    return start_production_broker()
