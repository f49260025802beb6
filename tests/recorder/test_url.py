"""--history-url parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.recorder.url import HistoryBackend, parse_history_url


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
