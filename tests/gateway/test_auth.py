"""Tokens file, token creation (library and CLI), the per-token rate limit."""

from __future__ import annotations

import hashlib
import stat
import subprocess
from pathlib import Path

import pytest

from gateway.auth import (
    Principal,
    RateLimiter,
    SessionStore,
    TokenFileError,
    TokenRole,
    TokenStore,
    create_token,
)
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


def test_a_tokens_file_that_stops_parsing_keeps_only_the_lines_that_still_parse(
    tmp_path: Path,
) -> None:
    # Issue 17 (1): a malformed file used to keep every old token valid.
    path = tmp_path / "tokens"
    good = create_token(path, "good", "viewer")
    spoiled = create_token(path, "spoiled", "operator")
    store = TokenStore(path)
    before = store.generation
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.replace(" operator ", " admin ") for line in lines) + "\n")
    assert store.reload() is True and store.generation > before
    assert store.lookup(good) is not None
    assert store.lookup(spoiled) is None
    assert store.stats.bad_lines == 1


def test_a_vanished_tokens_file_leaves_no_token_valid(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    token = create_token(path, "a", "operator")
    store = TokenStore(path)
    path.unlink()
    assert store.reload() is True
    assert store.lookup(token) is None and store.stats.unreadable == 1
    assert store.reload() is False  # still gone: no new change
    path.write_text(f"a operator {hashlib.sha256(token.encode()).hexdigest()}\n")
    assert store.reload() is True and store.lookup(token) is not None


def test_a_principal_stays_valid_only_while_its_entry_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    token = create_token(path, "ops", "operator")
    store = TokenStore(path)
    principal = store.lookup(token)
    assert principal is not None and store.still_valid(principal)
    path.write_text(path.read_text().replace(" operator ", " viewer "))
    store.reload()
    assert not store.still_valid(principal)  # a changed role
    renewed = store.lookup(token)
    assert renewed is not None and renewed.role is TokenRole.VIEWER and store.still_valid(renewed)
    path.write_text("")
    store.reload()
    assert not store.still_valid(renewed)  # removed


def test_sessions_are_random_bounded_and_end_by_logout_expiry_or_revocation() -> None:
    now = [0.0]
    sessions = SessionStore(limit=2, max_age=60, clock=lambda: now[0])
    alice = Principal("alice", TokenRole.OPERATOR, b"a" * 32)
    bob = Principal("bob", TokenRole.VIEWER, b"b" * 32)
    first, second = sessions.create(alice), sessions.create(bob)
    assert first != second and sessions.lookup(first) == alice
    third = sessions.create(alice)  # the table is full: the oldest goes
    assert sessions.lookup(first) is None and sessions.stats.evicted == 1
    assert sessions.end(third) is True and sessions.lookup(third) is None
    assert sessions.prune(lambda p: p.name != "bob") == 1 and sessions.lookup(second) is None
    fourth = sessions.create(alice)
    now[0] = 61
    assert sessions.lookup(fourth) is None and sessions.stats.expired == 1
