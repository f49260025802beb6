"""The tokens file (CONTRACT.md, "Auth"): one line per token, ``<name> <role> <sha256 hex>``.

Only hashes are stored, so a leaked tokens file gives nobody a token. A presented token is hashed
and compared with *every* entry using :func:`hmac.compare_digest`, so the time taken says nothing
about which entry, or how much of a hash, matched. The file is re-read when it changes (checked at
most once a second), so ``pigw-gateway token create`` and revoking a line take effect without a
restart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final


class TokenRole(StrEnum):
    VIEWER = "viewer"  # read and stream
    OPERATOR = "operator"  # also commands

    def allows(self, needed: TokenRole) -> bool:
        return self is TokenRole.OPERATOR or needed is TokenRole.VIEWER


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token's name and role; ``name`` is ``None`` in open (no tokens) mode."""

    name: str | None
    role: TokenRole

    @property
    def key(self) -> str:
        return self.name or "-"


NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_HASH_PATTERN: Final = re.compile(r"^[0-9a-f]{64}$")
TOKEN_PREFIX: Final = "pigw_"  # noqa: S105 - a marker that makes leaked tokens findable


class TokenFileError(ValueError):
    """The tokens file cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    role: TokenRole
    digest: bytes


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_tokens(text: str, source: str = "tokens file") -> list[_Entry]:
    entries: list[_Entry] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 3:
            raise TokenFileError(f"{source}:{number}: expected '<name> <role> <sha256 hex>'")
        name, role, digest = fields
        if not NAME_PATTERN.match(name):
            raise TokenFileError(f"{source}:{number}: bad name {name!r}")
        if role not in TokenRole.__members__.values():
            raise TokenFileError(f"{source}:{number}: role must be viewer or operator")
        if not _HASH_PATTERN.match(digest):
            raise TokenFileError(f"{source}:{number}: not a lower-case sha256 hex digest")
        entries.append(_Entry(name, TokenRole(role), bytes.fromhex(digest)))
    return entries


class TokenStore:
    """The tokens of one file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[_Entry] = []
        self._stamp: tuple[int, int] | None = None
        self.reload()

    def __len__(self) -> int:
        return len(self._entries)

    def reload(self) -> bool:
        """Read the file if it changed since the last read; True when it was read. A file that
        became unreadable or malformed keeps the previous tokens (and raises on first load)."""
        stat = os.stat(self.path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return False
        entries = parse_tokens(self.path.read_text(encoding="utf-8"), str(self.path))
        self._entries = entries
        self._stamp = stamp
        return True

    def lookup(self, token: str) -> Principal | None:
        """The principal a presented token belongs to, or ``None``."""
        digest = hashlib.sha256(token.encode()).digest()
        found: _Entry | None = None
        for entry in self._entries:
            if hmac.compare_digest(entry.digest, digest) and found is None:
                found = entry
        return None if found is None else Principal(found.name, found.role)


def create_token(path: Path, name: str, role: str) -> str:
    """Append a new token for ``name`` with ``role`` to ``path`` (created, mode 0600, if needed)
    and return the token; it is shown once and stored only as its hash."""
    if role not in TokenRole.__members__.values():
        raise TokenFileError(f"role must be 'viewer' or 'operator', not {role!r}")
    if not NAME_PATTERN.match(name):
        raise TokenFileError(f"name {name!r} must match {NAME_PATTERN.pattern}")
    existing = parse_tokens(path.read_text(encoding="utf-8"), str(path)) if path.exists() else []
    if any(entry.name == name for entry in existing):
        raise TokenFileError(f"{path} already has a token named {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    header = (
        "" if path.exists() else "# pigw gateway tokens: <name> <role> <sha256 hex of the token>\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(f"{header}{name} {role} {hash_token(token)}\n")
    return token
