"""Tokens file, token creation (library and CLI), the per-token rate limit."""

from __future__ import annotations

import hashlib
import stat
import subprocess
from pathlib import Path

import pytest

from gateway.auth import RateLimiter, TokenFileError, TokenRole, TokenStore, create_token
from gateway.auth.tokens import parse_tokens
from tests.support.processes import venv_command


def test_created_tokens_are_stored_hashed_and_found_with_their_role(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    viewer = create_token(path, "dash", "viewer")
    operator = create_token(path, "ops", "operator")
    text = path.read_text()
    assert viewer not in text and operator not in text
    assert hashlib.sha256(viewer.encode()).hexdigest() in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store = TokenStore(path)
    found = store.lookup(viewer)
    assert found is not None and (found.name, found.role) == ("dash", TokenRole.VIEWER)
    found = store.lookup(operator)
    assert found is not None and found.role is TokenRole.OPERATOR
    assert store.lookup("pigw_wrong") is None
    assert store.lookup("") is None


def test_other_roles_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    with pytest.raises(TokenFileError, match="viewer"):
        create_token(path, "x", "admin")
    create_token(path, "x", "viewer")
    with pytest.raises(TokenFileError, match="already"):
        create_token(path, "x", "operator")


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("dash viewer", "expected"),
        ("dash admin " + "0" * 64, "role"),
        ("dash viewer " + "Z" * 64, "sha256"),
        ("bad/name viewer " + "0" * 64, "name"),
    ],
)
def test_a_malformed_tokens_file_names_its_line(line: str, complaint: str) -> None:
    with pytest.raises(TokenFileError, match=rf":2: .*{complaint}"):
        parse_tokens(f"# comment\n{line}\n", "tokens")


def test_the_store_rereads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    first = create_token(path, "a", "viewer")
    store = TokenStore(path)
    assert store.reload() is False
    second = create_token(path, "b", "operator")
    assert store.lookup(second) is None
    assert store.reload() is True
    assert store.lookup(second) is not None and store.lookup(first) is not None


def test_token_create_cli_prints_the_token_once_and_refuses_other_roles(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    cli = venv_command("pigw-gateway")
    done = subprocess.run(
        [cli, "token", "create", "--name", "kiosk", "--role", "viewer", "--tokens-file", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    token = done.stdout.strip()
    assert token.startswith("pigw_") and len(token) > 40
    assert token not in path.read_text()
    assert TokenStore(path).lookup(token) is not None
    refused = subprocess.run(
        [cli, "token", "create", "--name", "root", "--role", "admin", "--tokens-file", str(path)],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0 and "viewer" in refused.stderr and refused.stdout == ""


def test_the_rate_limit_allows_a_burst_then_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.allow("t") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("t") == pytest.approx(0.5)
    assert limiter.allow("other") == 0.0
    now[0] += 0.5
    assert limiter.allow("t") == 0.0


def test_the_rate_limiter_keeps_a_bounded_number_of_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=10)
    for i in range(100):
        limiter.allow(f"k{i}")
    assert len(limiter._buckets) == 10
