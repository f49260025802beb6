"""--history-url parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.recorder.url import HistoryBackend, parse_history_url
from gateway.settings import GatewaySettings


def test_sqlite_urls_name_a_file() -> None:
    assert parse_history_url("sqlite:///.run/history.db").path == Path(".run/history.db")
    absolute = parse_history_url("sqlite:////var/lib/pigw/history.db")
    assert absolute.backend is HistoryBackend.SQLITE
    assert absolute.path == Path("/var/lib/pigw/history.db")


def test_postgresql_urls_pass_through_and_hide_the_password() -> None:
    url = parse_history_url("postgresql://pigw:s3cret@db.local:5433/pigw?sslmode=require")
    assert url.backend is HistoryBackend.POSTGRESQL
    assert url.dsn == "postgresql://pigw:s3cret@db.local:5433/pigw?sslmode=require"
    assert "s3cret" not in url.redacted() and "***" in url.redacted()
    assert parse_history_url("postgres://h/db").backend is HistoryBackend.POSTGRESQL


def test_none_turns_the_store_off() -> None:
    assert not parse_history_url("none").enabled
    assert not parse_history_url("NONE").enabled


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("history.db", "not a history URL"),
        ("sqlite://host/x.db", "three slashes"),
        ("sqlite:///", "names no file"),
        ("sqlite:///:memory:", "file path"),
        ("postgresql:///db", "no host"),
        ("postgresql://h:99999/db", "bad port"),
        ("postgresql://h", "no database"),
        ("mysql://h/db", "unknown history store 'mysql'"),
    ],
)
def test_bad_urls_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_history_url(text)


def test_a_bad_history_url_stops_start_up_naming_the_key() -> None:
    with pytest.raises(ValidationError) as caught:
        GatewaySettings(history_url="mysql://db/pigw")
    assert "history_url" in str(caught.value) and "unknown history store" in str(caught.value)
    with pytest.raises(ValidationError, match="history_raw_days"):
        GatewaySettings(history_raw_days=0)


def test_the_default_store_lives_in_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIGW_GATEWAY_STATE_DIR", raising=False)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "systemd"))
    assert GatewaySettings().resolved_history_url.path == tmp_path / "systemd" / "history.db"
    monkeypatch.delenv("STATE_DIRECTORY")
    assert GatewaySettings().resolved_history_url.path == Path(".run/history.db")
    explicit = GatewaySettings(state_dir=tmp_path / "x")
    assert explicit.resolved_history_url.path == tmp_path / "x" / "history.db"
