"""``--history-url``: which history store the recorder writes to (CONTRACT.md v3, the recorder).

Three forms, nothing else:

- ``sqlite:///<path>`` — the embedded default (``sqlite:///<state dir>/history.db``); three slashes
  and a path, absolute (``sqlite:////var/lib/pigw/history.db``) or relative to the working folder
  (``sqlite:///.run/history.db``), as SQLAlchemy writes them;
- ``postgresql://user@host:port/db`` (also ``postgres://``) — a PostgreSQL 15+ server that replicas
  share; the URL is handed to asyncpg as it is (query options such as ``?sslmode=`` included);
- ``none`` — no store: only the in-memory ``--history-size`` ring of v2, and the audit in memory.

Pure: no I/O, no database import. Other features that keep tables in the same database (alerts)
parse the URL here too, so that every part of the gateway agrees on what a URL means.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit


class HistoryBackend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class HistoryUrl:
    """A parsed ``--history-url``. ``path`` is set for SQLite, ``dsn`` for PostgreSQL."""

    backend: HistoryBackend
    path: Path | None = None
    dsn: str | None = None

    @property
    def enabled(self) -> bool:
        return self.backend is not HistoryBackend.NONE

    def redacted(self) -> str:
        """The URL for logs and ``/readyz``: a password in a PostgreSQL URL is replaced by ``***``."""
        if self.backend is HistoryBackend.SQLITE:
            return f"sqlite:///{self.path}"
        if self.backend is HistoryBackend.NONE:
            return "none"
        assert self.dsn is not None
        parts = urlsplit(self.dsn)
        if parts.password is None:
            return self.dsn
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()


def default_history_url(state_dir: Path) -> str:
    """The default ``--history-url``: an SQLite file in the state folder."""
    return f"sqlite:///{state_dir / 'history.db'}"


def parse_history_url(text: str) -> HistoryUrl:
    """Parse ``--history-url``; a :class:`ValueError` names what is wrong with it."""
    raw = text.strip()
    if raw.lower() == "none":
        return HistoryUrl(HistoryBackend.NONE)
    scheme, sep, rest = raw.partition("://")
    if not sep:
        raise ValueError(
            f"{text!r} is not a history URL: give sqlite:///<path>, postgresql://… or none"
        )
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/"):
            raise ValueError(
                f"{text!r}: an SQLite URL has three slashes and a path (sqlite:///history.db, "
                "sqlite:////abs/path/history.db); a host part is not allowed"
            )
        path = rest[1:]
        if not path or path.endswith("/"):
            raise ValueError(f"{text!r}: the SQLite URL names no file")
        if path == ":memory:" or "?" in path:
            raise ValueError(f"{text!r}: give a file path (no :memory:, no query options)")
        return HistoryUrl(HistoryBackend.SQLITE, path=Path(path))
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(raw)
        if not parts.hostname and "host=" not in (parts.query or ""):
            raise ValueError(f"{text!r}: the PostgreSQL URL names no host")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError as exc:
            raise ValueError(f"{text!r}: bad port ({exc})") from exc
        if not parts.path.strip("/"):
            raise ValueError(f"{text!r}: the PostgreSQL URL names no database (…/dbname)")
        return HistoryUrl(HistoryBackend.POSTGRESQL, dsn=raw)
    raise ValueError(
        f"{text!r}: unknown history store {scheme!r} (sqlite:///<path>, postgresql://… or none)"
    )
