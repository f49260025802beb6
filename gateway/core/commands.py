"""Commands to actuators: check, publish ``/set`` with a ``cid``, wait for the matching ack.

The checks follow the contract's status codes: 404 unknown device or actuator, 409 device offline,
422 a value the actuator cannot take (checked with :func:`pigw.contract.actuator_value` and the
kind the meta declares). The gateway sends the JSON form with a fresh ``cid`` (uuid4) and an
``exp`` deadline equal to its own wait, so an agent that gets the command late does not execute it
after the caller was told 504.

Every command that reaches :meth:`Commands.send` is handed to the audit trail once, with its
outcome (CONTRACT.md v3, "Audit log"): the ack's status, ``timeout``, ``offline`` or ``refused``;
the edges report what they refuse before calling it (403, 429) through :meth:`Commands.refused`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gateway.recorder.records import AuditEntry, AuditVia
from gateway.state.registry import Registry
from pigw.contract import Ack, ContractError, RawValue, Topics, actuator_value, encode_command

#: ``(topic, payload)`` -> True once published (QoS 1, not retained), False when the gateway is
#: not connected to the broker (the MQTT edge's error stays at the edge: ``gateway/runtime.py``).
Publish = Callable[[str, bytes], Awaitable[bool]]


class CommandError(Exception):
    """A command refused or failed, with the HTTP status that says why; ``outcome`` is the audit
    log's status for it (``refused``, ``offline``, ``timeout``)."""

    def __init__(self, status: int, detail: str, outcome: str = "refused") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.outcome = outcome


class CommandAudit(Protocol):
    """Where each command's outcome goes (the recorder's audit trail implements it)."""

    def record(self, entry: AuditEntry) -> None: ...


@dataclass(slots=True)
class CommandStats:
    results: dict[str, int] = field(default_factory=dict)  # ack status, or the refusal's status

    def count(self, result: str) -> None:
        self.results[result] = self.results.get(result, 0) + 1


def ack_doc(device: str, actuator: str, ack: Ack) -> dict[str, Any]:
    """The ``ack`` event's data (CONTRACT.md): ``error`` only when there is one."""
    doc: dict[str, Any] = {
        "device": device,
        "actuator": actuator,
        "cid": ack.cid,
        "status": ack.status.value,
        "value": ack.value,
    }
    if ack.error is not None:
        doc["error"] = ack.error
    return doc


class Commands:
    """Pending commands by ``cid``; at most ``max_pending`` at once (then 429)."""

    def __init__(
        self,
        registry: Registry,
        topics: Topics,
        publish: Publish,
        *,
        timeout: float = 10.0,
        max_pending: int = 1000,
        audit: CommandAudit | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self.audit = audit
        self._clock = clock
        self.topics = topics
        self.timeout = timeout
        self.max_pending = max_pending
        self.stats = CommandStats()
        self._publish = publish
        self._pending: dict[str, tuple[str, str, asyncio.Future[dict[str, Any]]]] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def check(self, device: str, actuator: str, raw: RawValue) -> bool | float:
        """The value to send, or :class:`CommandError` (404, 409, 422)."""
        state = self.registry.get(device)
        if state is None:
            raise CommandError(404, f"unknown device {device!r}")
        declared = state.meta.actuators.get(actuator) if state.meta is not None else None
        if declared is None:
            raise CommandError(404, f"device {device!r} has no actuator {actuator!r}")
        if not state.online:
            raise CommandError(409, f"device {device!r} is offline", outcome="offline")
        if not declared.settable:
            raise CommandError(422, f"actuator {actuator!r} is not settable")
        try:
            return actuator_value(declared.kind, raw)
        except ContractError as exc:
            raise CommandError(422, str(exc.args[0])) from exc

    async def send(
        self,
        device: str,
        actuator: str,
        raw: RawValue,
        cid: str | None = None,
        *,
        principal: str = "open",
        via: AuditVia = "rest",
    ) -> dict[str, Any]:
        """Check, publish and wait for the ack; returns the ack's data (as the ``ack`` event).
        ``principal`` (the token's name) and ``via`` go into the audit log with the outcome."""
        started = time.monotonic()
        cid = cid or str(uuid.uuid4())
        checked = False
        try:
            value = self.check(device, actuator, raw)
            checked = True
            doc = await self._send(device, actuator, value, cid)
        except CommandError as exc:
            self.stats.count(str(exc.status))
            sent = checked and exc.outcome == "timeout"  # published, never acked
            self._audit(device, actuator, raw, cid if sent else None, exc.outcome, exc.detail,
                        started if sent else None, principal, via)  # fmt: skip
            raise
        self._audit(device, actuator, raw, cid, str(doc["status"]), doc.get("error"), started,
                    principal, via)  # fmt: skip
        return doc

    def refused(
        self, device: str, actuator: str, raw: object, *, principal: str, via: AuditVia, why: str
    ) -> None:
        """An edge refused a command before it reached :meth:`send` (403, 429): audit it."""
        self._audit(device, actuator, raw, None, "refused", why, None, principal, via)

    def _audit(  # noqa: PLR0917 - one entry's fields
        self,
        device: str,
        actuator: str,
        raw: object,
        cid: str | None,
        status: str,
        error: str | None,
        started: float | None,
        principal: str,
        via: AuditVia,
    ) -> None:
        if self.audit is None:
            return
        latency = None if started is None else round((time.monotonic() - started) * 1000, 1)
        self.audit.record(
            AuditEntry(
                ts_ms=int(self._clock() * 1000),
                principal=principal,
                device=device,
                actuator=actuator,
                value=raw,
                cid=cid,
                status=status,
                error=error,
                latency_ms=latency,
                via=via,
            )
        )

    async def _send(
        self, device: str, actuator: str, value: bool | float, cid: str
    ) -> dict[str, Any]:
        if cid in self._pending:
            raise CommandError(409, f"a command with cid {cid!r} is pending already")
        if len(self._pending) >= self.max_pending:
            raise CommandError(429, "too many commands waiting for their ack")
        deadline = datetime.now(UTC) + timedelta(seconds=self.timeout)
        payload = encode_command(value, cid, deadline)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[cid] = (device, actuator, waiter)
        try:
            if not await self._publish(self.topics.command(device, actuator), payload):
                raise CommandError(503, "the gateway is not connected to the broker")
            try:
                async with asyncio.timeout(self.timeout):
                    doc = await waiter
            except TimeoutError as exc:
                raise CommandError(
                    504, f"no ack from {device!r} within {self.timeout:g}s", outcome="timeout"
                ) from exc
        finally:
            self._pending.pop(cid, None)
        self.stats.count(str(doc["status"]))
        return doc

    def on_ack(self, device: str, actuator: str, ack: Ack) -> dict[str, Any]:
        """An ack arrived: resolve the command waiting for it (if any); return the event data."""
        doc = ack_doc(device, actuator, ack)
        if ack.cid is not None:
            entry = self._pending.get(ack.cid)
            if entry is not None and entry[0] == device and entry[1] == actuator:
                waiter = entry[2]
                if not waiter.done():
                    waiter.set_result(doc)
        return doc
