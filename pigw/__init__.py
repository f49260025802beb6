"""pigw — the shared core of the agent and the gateway.

Only pure code lives here: the wire contract (``pigw.contract``), the settings both commands share
(``pigw.settings`` on pydantic-settings for the gateway, ``pigw.common_flags`` and
``pigw.struct_settings`` on msgspec for the agent, ``pigw.broker_access`` for both) and logging set-up
(``pigw.logs``). Nothing in this package opens a socket, starts a thread or reads the environment at
import time.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pigw")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
