"""Browser sessions (issue 17, item 7): a random id in the cookie, the token's entry on the server.

The cookie used to hold the token itself: logging out deleted only the browser's copy, and the
token reached every app on the host that saw the cookie. Now ``POST /api/session`` makes a random
id (256 bits, :func:`secrets.token_urlsafe`) bound to the principal its token proved, and only the
id travels. A session ends when the browser logs out (``DELETE /api/session``), when its token is
removed from the tokens file or its role changes (:meth:`SessionStore.prune` after every reload,
and :class:`~gateway.auth.tokens.TokenStore.still_valid` on every use), or after ``max_age``.

Bounded: at most ``limit`` sessions; a new one beyond that ends the oldest (counted ``evicted``).
Sessions live in memory: a gateway restart logs every browser out (the dashboard then shows its
log-in form). Pure apart from :mod:`secrets`; the clock is passed in.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from gateway.auth.tokens import Principal

#: A session (and its cookie) lasts at most this long (seconds).
SESSION_MAX_AGE: Final = 30 * 24 * 3600


@dataclass(slots=True)
class SessionStats:
    created: int = 0
    ended: int = 0  # logged out
    revoked: int = 0  # their token was removed or its role changed
    expired: int = 0  # older than max_age
    evicted: int = 0  # the oldest, to make room (the table was full)


class SessionStore:
    """Session id → principal, oldest first."""

    def __init__(
        self,
        *,
        limit: int,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.max_age = max_age
        self._clock = clock
        self._sessions: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self.stats = SessionStats()
        #: Grows whenever a session ends other than by expiry: open streams are re-checked then.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, principal: Principal) -> str:
        """A new session for ``principal``; its id goes into the cookie."""
        while len(self._sessions) >= self.limit:
            self._sessions.popitem(last=False)
            self.stats.evicted += 1
            self.generation += 1
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = (principal, self._clock())
        self.stats.created += 1
        return session_id

    def lookup(self, session_id: str) -> Principal | None:
        """The principal of a live session, or ``None`` (unknown, ended or expired)."""
        held = self._sessions.get(session_id)
        if held is None:
            return None
        principal, created = held
        if self._clock() - created > self.max_age:
            del self._sessions[session_id]
            self.stats.expired += 1
            return None
        return principal

    def end(self, session_id: str) -> bool:
        """Log a session out; False when there was none."""
        if self._sessions.pop(session_id, None) is None:
            return False
        self.stats.ended += 1
        self.generation += 1
        return True

    def revoke(self, session_id: str) -> None:
        """End a session whose token is no longer valid."""
        if self._sessions.pop(session_id, None) is not None:
            self.stats.revoked += 1
            self.generation += 1

    def prune(self, still_valid: Callable[[Principal], bool]) -> int:
        """End every session whose principal is no longer valid (after a tokens reload)."""
        gone = [sid for sid, (p, _) in self._sessions.items() if not still_valid(p)]
        for session_id in gone:
            del self._sessions[session_id]
        self.stats.revoked += len(gone)
        self.generation += len(gone)
        return len(gone)
