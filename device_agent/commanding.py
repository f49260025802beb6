"""What to do with a command on ``<p>/<dev>/<actuator>/set`` (CONTRACT.md, command rules). Pure.

Order of the checks: a malformed payload is ``rejected``; a retained one is ``rejected`` (commands
are never retained, so a retained ``/set`` is somebody's mistake and must not switch a relay at
every reconnect); a ``cid`` seen recently gets its earlier acknowledgement again and is not
executed twice (QoS 1 may deliver twice); a passed ``exp`` is ``expired``; a value the actuator
cannot take is ``rejected``. Only what passes every check is executed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from pigw.contract import (
    Ack,
    AckStatus,
    ActuatorKind,
    ContractError,
    actuator_value,
    decode_command,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """``execute`` is the value to apply (then ack ``ok``); otherwise ``status`` and ``error`` say
    why not. ``repeat`` is the earlier acknowledgement of a duplicate ``cid``."""

    cid: str | None
    execute: bool | float | None = None
    status: AckStatus | None = None
    error: str | None = None
    repeat: Ack | None = None


class RecentCommands:
    """The acknowledgements of the last ``limit`` commands that carried a ``cid`` (oldest forgotten
    first), so a redelivered command is acknowledged again without being executed again."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._acks: OrderedDict[str, Ack] = OrderedDict()

    def get(self, cid: str) -> Ack | None:
        return self._acks.get(cid)

    def remember(self, ack: Ack) -> None:
        if ack.cid is None:
            return
        self._acks[ack.cid] = ack
        self._acks.move_to_end(ack.cid)
        while len(self._acks) > self.limit:
            self._acks.popitem(last=False)

    def __len__(self) -> int:
        return len(self._acks)


def decide(
    kind: ActuatorKind,
    payload: bytes,
    retained: bool,
    now: datetime,
    recent: RecentCommands,
) -> Decision:
    """Check one command for an actuator of ``kind``."""
    try:
        command = decode_command(payload)
    except ContractError as exc:
        return Decision(None, status=AckStatus.REJECTED, error=str(exc))
    if retained:
        return Decision(
            command.cid,
            status=AckStatus.REJECTED,
            error="retained command refused: commands are never retained",
        )
    if command.cid is not None:
        earlier = recent.get(command.cid)
        if earlier is not None:
            return Decision(command.cid, repeat=earlier)
    if command.expired(now):
        return Decision(command.cid, status=AckStatus.EXPIRED, error="the command's exp has passed")
    try:
        value = actuator_value(kind, command.value)
    except ContractError as exc:
        return Decision(command.cid, status=AckStatus.REJECTED, error=str(exc))
    return Decision(command.cid, execute=value)
