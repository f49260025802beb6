"""The one exception the contract raises, with a short machine-readable reason."""

from __future__ import annotations


class ContractError(ValueError):
    """A topic or payload that the contract refuses.

    ``reason`` is a short, stable label (``bad_topic``, ``bad_id``, ``bad_json``, ``bad_payload``,
    ``oversize``, ``bad_seq``, …) that consumers use as a metric label; the message says what exactly
    was wrong, for the log line.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.args[0]}"
