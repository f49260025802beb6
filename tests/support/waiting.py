"""Wait on a condition with a deadline, never for a fixed time.

A test that sleeps for "long enough" is slow on a fast machine and flaky on a loaded one; these poll
the condition (every few milliseconds) and fail with a message that says what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.01


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline."""


def wait_until(condition: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy and return that; raise
    :class:`WaitTimeout` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(POLL_INTERVAL)  # poll


async def async_wait_until(
    condition: Callable[[], T | Awaitable[T]], timeout: float = 10.0, what: str = "condition"
) -> T:
    """The asyncio twin of :func:`wait_until`; ``condition`` may be a plain or async callable."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL)  # poll
