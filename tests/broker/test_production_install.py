"""The production broker installed exactly as docs/security.md says, and started as root the way
systemd starts it: Mosquitto 2 then drops to the ``mosquitto`` user, so every file it reads after
that must be readable by that user. (The other production tests append ``user root``, because
pytest's folders are private; this one builds its installation in a folder the ``mosquitto`` user
may enter, with the documented owners and modes.)"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker.accounts import Account, LoginRefused
from tests.broker.conftest import (
    ACL_EXAMPLE,
    DATA_DIR,
    INSTALL_DIR,
    MAKE_CERTS,
    MQTT_ACCOUNT,
    PRODUCTION_CONF,
    run_script,
)
from tests.support.broker import Mosquitto
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def root_folder() -> Iterator[Path]:
    """A folder under /tmp that other users may enter (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="pigw-install-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def install(*argv: str | Path) -> None:
    subprocess.run(["install", *map(str, argv)], check=True, capture_output=True, timeout=30)


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def test_the_documented_install_works_once_mosquitto_drops_to_its_own_user(
    root_folder: Path, tmp_path: Path
) -> None:
    assert os.geteuid() == 0, "run as root: Mosquitto drops privileges only when started as root"
    mosquitto_user = pwd.getpwnam("mosquitto")  # made by Debian's mosquitto package
    etc, pki, secrets = (
        root_folder / "etc-mosquitto-pigw",
        root_folder / "pki",
        tmp_path / "secrets",
    )
    data = root_folder / "var-lib-mosquitto"
    # docs/security.md, "Install on Debian / Raspberry Pi OS", with /etc/mosquitto/pigw -> etc
    install("-d", "-o", "root", "-g", "mosquitto", "-m", "0750", etc)
    install("-o", "root", "-g", "mosquitto", "-m", "0640", ACL_EXAMPLE, etc / "acl")
    run_script(MAKE_CERTS, pki, "--server", "127.0.0.1")
    install("-o", "root", "-g", "mosquitto", "-m", "0644", pki / "ca.crt", pki / "server.crt", etc)
    install("-o", "root", "-g", "mosquitto", "-m", "0640", pki / "server.key", etc)
    for account in ("_gateway", "dev1"):
        run_script(MQTT_ACCOUNT, etc / "passwd", account, secrets / f"{account}.password")
    shutil.chown(etc / "passwd", "root", "mosquitto")
    (etc / "passwd").chmod(0o640)
    # What Debian's package makes of /var/lib/mosquitto.
    install("-d", "-o", "mosquitto", "-g", "mosquitto", "-m", "0755", data)

    broker = Mosquitto(
        tmp_path / "broker",
        template=PRODUCTION_CONF,
        tls_port=free_port(),
        replacements={INSTALL_DIR: f"{etc}/", DATA_DIR: f"{data}/"},
    )  # no "user root": it drops to mosquitto, as installed
    broker.start()
    try:
        assert broker.process.proc is not None
        assert uid_of(broker.process.proc.pid) == mosquitto_user.pw_uid
        assert grp.getgrnam("mosquitto").gr_gid == mosquitto_user.pw_gid
        assert broker.tls_port is not None
        # The password file, the certificate and its key were all readable:
        password = (secrets / "_gateway.password").read_text(encoding="utf-8").strip()
        tls = ssl.create_default_context(cafile=str(etc / "ca.crt"))
        Account(broker.tls_port, "_gateway", password, tls=tls).close()
        with pytest.raises(LoginRefused):
            Account(broker.port, "dev1", "not its password")
        # The fixture's readiness probe connects to the TLS port and hangs up before a handshake,
        # which Mosquitto logs as an OpenSSL EOF error or not, depending on timing: not a file error.
        output = broker.process.output()
        errors = [
            line
            for line in output.splitlines()
            if "Error" in line and "unexpected eof while reading" not in line
        ]
        assert not errors, output
    finally:
        broker.process.stop()
