"""Who may do what: tokens with roles (pure), the per-token command rate limit, and the token a
connection presents (:mod:`gateway.auth.connection`, the one module here that reads a request).

The FastAPI side (401 versus 403 as dependencies) is in :mod:`gateway.api.deps`.
"""

from gateway.auth.connection import (
    CHALLENGE,
    OPEN_PRINCIPAL,
    SESSION_COOKIE,
    UNAUTHORIZED,
    authenticate,
    presented_token,
)
from gateway.auth.ratelimit import RateLimiter
from gateway.auth.tokens import Principal, TokenFileError, TokenRole, TokenStore, create_token

__all__ = [
    "CHALLENGE",
    "OPEN_PRINCIPAL",
    "SESSION_COOKIE",
    "UNAUTHORIZED",
    "Principal",
    "RateLimiter",
    "TokenFileError",
    "TokenRole",
    "TokenStore",
    "authenticate",
    "create_token",
    "presented_token",
]
