"""The agent's half of issue 6: user name, password file, TLS with a CA (certificates made here)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import Mosquitto
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

BROKER_CONF = """per_listener_settings false
allow_anonymous false
password_file {passwd}
user root
listener 8883 127.0.0.1
cafile {ca}
certfile {cert}
keyfile {key}
persistence false
log_dest stderr
log_type all
connection_messages true
"""


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl, 1 day)."""
    files = {
        name: folder / name
        for name in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "san.ext")
    }
    files["san.ext"].write_text("subjectAltName=IP:127.0.0.1\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pigw test CA",
            "-keyout", str(files["ca.key"]), "-out", str(files["ca.crt"]))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(files["server.key"]), "-out", str(files["server.csr"]))  # fmt: skip
    openssl("x509", "-req", "-in", str(files["server.csr"]), "-CA", str(files["ca.crt"]),
            "-CAkey", str(files["ca.key"]), "-CAcreateserial", "-days", "1",
            "-extfile", str(files["san.ext"]), "-out", str(files["server.crt"]))  # fmt: skip
    return files


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    certs = make_certificates(tmp_path)
    passwd = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwd), "tls-pi", "s3cret"], check=True, timeout=60
    )
    template = tmp_path / "secure.conf"
    template.write_text(
        BROKER_CONF.format(
            passwd=passwd, ca=certs["ca.crt"], cert=certs["server.crt"], key=certs["server.key"]
        )
    )
    broker = Mosquitto(tmp_path / "broker", template=template).start()
    try:
        yield broker, certs["ca.crt"]
    finally:
        broker.process.stop()


def agent(broker: Mosquitto, folder: Path, ca: Path, password: str) -> ManagedProcess:
    secret = folder / f"password-{password}"
    secret.write_text(password + "\n")
    return ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--device-id", "tls-pi",
            "--mqtt-url", f"mqtts://127.0.0.1:{broker.port}", "--mqtt-username", "tls-pi",
            "--mqtt-password-file", str(secret), "--mqtt-ca-file", str(ca),
            "--outbox", str(folder / f"outbox-{password}.sqlite"),
        ],
        folder / f"agent-{password}.log",
    )  # fmt: skip


def test_agent_connects_with_password_over_tls(
    secure_broker: tuple[Mosquitto, Path], tmp_path: Path
) -> None:
    broker, ca = secure_broker
    process = agent(broker, tmp_path, ca, "s3cret").start()
    try:
        process.wait_for_output("connected to the broker", 30)
        wait_until(
            lambda: "u'tls-pi'" in broker.log() and "pigw-agent-tls-pi" in broker.log(),
            30,
            "the broker to log the authenticated agent",
        )
    finally:
        assert process.stop(20) == 0


def test_wrong_password_is_refused_and_retried(
    secure_broker: tuple[Mosquitto, Path], tmp_path: Path
) -> None:
    broker, ca = secure_broker
    process = agent(broker, tmp_path, ca, "wrong").start()
    try:
        process.wait_for_output("refused the connection", 30)
        assert process.running  # keeps trying with backoff, does not crash
        assert "connected to the broker" not in process.output()
    finally:
        process.stop(20)
