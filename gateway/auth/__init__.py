"""Who may do what: tokens with roles (pure), browser sessions bound to them (pure), the
per-token command rate limit, and the token or session a connection presents (:mod:`gateway.auth.connection`, the one module here that reads a request).

The FastAPI side (401 versus 403 as dependencies) is in :mod:`gateway.api.deps`.
"""

from gateway.auth.connection import (
    CHALLENGE,
    OPEN_PRINCIPAL,
    SESSION_COOKIE,
    SESSION_COOKIE_SECURE,
    UNAUTHORIZED,
    authenticate,
    presented_session,
    session_cookie_name,
)
from gateway.auth.ratelimit import RateLimiter
from gateway.auth.sessions import SessionStore
from gateway.auth.tokens import Principal, TokenFileError, TokenRole, TokenStore, create_token

__all__ = [
    "CHALLENGE",
    "OPEN_PRINCIPAL",
    "SESSION_COOKIE",
    "SESSION_COOKIE_SECURE",
    "UNAUTHORIZED",
    "Principal",
    "RateLimiter",
    "SessionStore",
    "TokenFileError",
    "TokenRole",
    "TokenStore",
    "authenticate",
    "create_token",
    "presented_session",
    "session_cookie_name",
]
