"""The two scripts docs/security.md tells operators to use: ``deploy/mqtt-account.sh`` (accounts)
and ``deploy/tls/make-certs.sh`` (a private CA and certificates)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.broker.conftest import MAKE_CERTS, MQTT_ACCOUNT

pytestmark = pytest.mark.integration  # runs openssl and mosquitto_passwd


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("name", ["dev+1", "#", "dev1/x", "Dev1", "", "-dev"])
def test_an_account_name_that_would_widen_the_acl_is_refused(name: str, tmp_path: Path) -> None:
    # %u in the ACL's pattern lines is replaced by the user name: "+" "#" "/" would be wildcards
    # or extra levels there.
    done = run(MQTT_ACCOUNT, tmp_path / "passwd", name, tmp_path / "pw")
    assert done.returncode == 2
    assert not (tmp_path / "passwd").exists()
    assert not (tmp_path / "pw").exists()


def test_an_account_gets_a_fresh_password_kept_private(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    assert run(MQTT_ACCOUNT, passwd, "kitchen-pi", tmp_path / "a").returncode == 0
    assert run(MQTT_ACCOUNT, passwd, "_gateway", tmp_path / "b").returncode == 0
    first = (tmp_path / "a").read_text(encoding="utf-8").strip()
    assert len(first) >= 32
    assert first != (tmp_path / "b").read_text(encoding="utf-8").strip()
    assert (tmp_path / "a").stat().st_mode & 0o077 == 0
    lines = passwd.read_text(encoding="utf-8").splitlines()
    assert [line.split(":")[0] for line in lines] == ["kitchen-pi", "_gateway"]
    assert first not in passwd.read_text(encoding="utf-8")  # only a salted hash is stored
    # Running it again resets that account's password and keeps the others.
    assert run(MQTT_ACCOUNT, passwd, "kitchen-pi", tmp_path / "a").returncode == 0
    assert (tmp_path / "a").read_text(encoding="utf-8").strip() != first
    assert len(passwd.read_text(encoding="utf-8").splitlines()) == 2


def test_an_account_s_folders_are_made_as_the_docs_assume(tmp_path: Path) -> None:
    # docs/security.md writes the client's copy into /root/pigw-secrets/, which nothing made.
    client = tmp_path / "secrets" / "kitchen-pi.mqtt-password"
    passwd = tmp_path / "broker" / "passwd"
    assert run(MQTT_ACCOUNT, passwd, "kitchen-pi", client).returncode == 0
    assert client.read_text(encoding="utf-8").strip()
    assert client.parent.stat().st_mode & 0o077 == 0
    assert passwd.read_text(encoding="utf-8").startswith("kitchen-pi:")


def test_a_failed_account_leaves_no_password_behind(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.mkdir()  # mosquitto_passwd cannot write a folder
    client = tmp_path / "pw"
    assert run(MQTT_ACCOUNT, passwd, "kitchen-pi", client).returncode != 0
    assert list(tmp_path.iterdir()) == [passwd]  # no client copy, and no leftover temp file


def test_make_certs_keeps_the_ca_when_more_certificates_are_made(tmp_path: Path) -> None:
    assert run(MAKE_CERTS, tmp_path, "--server", "broker.lan").returncode == 0
    ca = (tmp_path / "ca.crt").read_bytes()
    assert run(MAKE_CERTS, tmp_path, "--client", "kitchen-pi").returncode == 0
    assert (tmp_path / "ca.crt").read_bytes() == ca
    verified = run(
        "openssl", "verify", "-CAfile", tmp_path / "ca.crt",
        tmp_path / "server.crt", tmp_path / "client-kitchen-pi.crt",
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob("*.csr"))


def test_make_certs_without_a_name_explains_itself(tmp_path: Path) -> None:
    done = run(MAKE_CERTS, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: deploy/tls/make-certs.sh DIR --server NAME")
