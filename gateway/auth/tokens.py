"""The tokens file (CONTRACT.md, "Auth"): one line per token, ``<name> <role> <sha256 hex>``.

Only hashes are stored, so a leaked tokens file gives nobody a token. A presented token is hashed
and compared with *every* entry using :func:`hmac.compare_digest`, so the time taken says nothing
about which entry, or how much of a hash, matched. The file is re-read when it changes (checked
every ``--tokens-reload`` seconds), so ``pigw-gateway token create`` and revoking a line take effect
without a restart, on open streams too (:meth:`TokenStore.still_valid`; issue 17).

Fail closed: at start-up a malformed file stops the gateway (naming the line); later, a file that
no longer parses keeps only the entries that still do (each bad line is logged and counted), and a
file that vanished or cannot be read leaves no token valid — never the old ones.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

logger = logging.getLogger("gateway.auth")


class TokenRole(StrEnum):
    VIEWER = "viewer"  # read and stream
    OPERATOR = "operator"  # also commands

    def allows(self, needed: TokenRole) -> bool:
        return self is TokenRole.OPERATOR or needed is TokenRole.VIEWER


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a token's name and role; ``name`` is ``None`` in open (no tokens) mode.
    ``digest`` is the hash of the token that proved it (``b""`` in open mode), so that the entry
    it came from can be checked again later (:meth:`TokenStore.still_valid`)."""

    name: str | None
    role: TokenRole
    digest: bytes = field(default=b"", repr=False)

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
    """Every entry of a tokens file; :class:`TokenFileError` at the first bad line."""
    entries, problems = parse_tokens_leniently(text, source)
    if problems:
        raise problems[0]
    return entries


def parse_tokens_leniently(
    text: str, source: str = "tokens file"
) -> tuple[list[_Entry], list[TokenFileError]]:
    """The entries that parse, and one error per line that does not."""
    entries: list[_Entry] = []
    problems: list[TokenFileError] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            entries.append(_parse_line(line, f"{source}:{number}"))
        except TokenFileError as exc:
            problems.append(exc)
    return entries, problems


def _parse_line(line: str, where: str) -> _Entry:
    fields = line.split()
    if len(fields) != 3:
        raise TokenFileError(f"{where}: expected '<name> <role> <sha256 hex>'")
    name, role, digest = fields
    if not NAME_PATTERN.match(name):
        raise TokenFileError(f"{where}: bad name {name!r}")
    if role not in TokenRole.__members__.values():
        raise TokenFileError(f"{where}: role must be viewer or operator")
    if not _HASH_PATTERN.match(digest):
        raise TokenFileError(f"{where}: not a lower-case sha256 hex digest")
    return _Entry(name, TokenRole(role), bytes.fromhex(digest))


@dataclass(slots=True)
class TokenFileStats:
    reloads: int = 0  # times the file was read again after a change
    bad_lines: int = 0  # lines of the file as last read that did not parse (their tokens: none)
    unreadable: int = 0  # reloads that found the file gone or unreadable (then: no tokens at all)


class TokenStore:
    """The tokens of one file, re-read when the file changes.

    ``generation`` grows by one whenever the set of valid entries may have changed, so holders of
    a principal (open streams, sessions) re-check it only then."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[_Entry] = []
        self._stamp: tuple[int, int, int] | None = None
        self.generation = 0
        self.stats = TokenFileStats()
        self._load_strictly()

    def __len__(self) -> int:
        return len(self._entries)

    def _load_strictly(self) -> None:
        stat = os.stat(self.path)
        self._entries = parse_tokens(self.path.read_text(encoding="utf-8"), str(self.path))
        self._stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def reload(self) -> bool:
        """Read the file again if it changed since the last read; True when the tokens changed.

        Fails closed: a line that no longer parses loses its token (the others stay; each bad
        line is logged); a file that is gone or unreadable leaves no token valid."""
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if stamp == self._stamp:
                return False
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if self._stamp is None and not self._entries:
                return False  # still gone: said so already
            logger.error(  # noqa: TRY400 - the cause is the message; a traceback adds nothing
                "tokens file unreadable, no token is valid until it is back: %s", exc
            )
            self.stats.unreadable += 1
            self._entries = []
            self._stamp = None
            self.generation += 1
            return True
        entries, problems = parse_tokens_leniently(text, str(self.path))
        for problem in problems:
            logger.error("tokens file line refused, its token is not valid: %s", problem)
        self.stats.bad_lines = len(problems)
        self.stats.reloads += 1
        self._entries = entries
        self._stamp = stamp
        self.generation += 1
        return True

    def lookup(self, token: str) -> Principal | None:
        """The principal a presented token belongs to, or ``None``."""
        digest = hashlib.sha256(token.encode()).digest()
        found: _Entry | None = None
        for entry in self._entries:
            if hmac.compare_digest(entry.digest, digest) and found is None:
                found = entry
        return None if found is None else Principal(found.name, found.role, found.digest)

    def still_valid(self, principal: Principal) -> bool:
        """True while the entry that ``principal`` came from is in the file unchanged: same
        token, same name, same role (a removed token or a changed role: False)."""
        found = False
        for entry in self._entries:
            if hmac.compare_digest(entry.digest, principal.digest):
                found = found or (entry.name == principal.name and entry.role is principal.role)
        return found


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
