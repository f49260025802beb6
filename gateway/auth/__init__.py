"""Who may do what: tokens with roles (pure), and the per-token command rate limit.

The FastAPI side (reading ``Authorization`` and the session cookie, 401 versus 403) is in
:mod:`gateway.api.deps`.
"""

from gateway.auth.ratelimit import RateLimiter
from gateway.auth.tokens import Principal, Role, TokenFileError, TokenStore, create_token

__all__ = ["Principal", "RateLimiter", "Role", "TokenFileError", "TokenStore", "create_token"]
