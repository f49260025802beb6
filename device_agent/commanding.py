"""What to do with a command on ``<p>/<dev>/<actuator>/set`` (CONTRACT.md, command rules). Pure.

Order of the checks: a malformed payload is ``rejected``; so is one whose MQTT 5 response topic
cannot be published to (a wildcard: MQTT 5.0 §3.3.2.3.5, issue 17 item 6); a retained one is
``rejected`` (commands are never retained, so a retained ``/set`` is somebody's mistake and must not
switch a relay at every reconnect); a ``cid`` seen recently gets its earlier acknowledgement again
and is not executed twice (QoS 1 may deliver twice); a passed ``exp`` is ``expired``; a command
without ``exp`` that may have waited in the broker's session longer than the agent's
``--command-max-age`` is ``expired`` (:mod:`device_agent.session_backlog`); a value the actuator
cannot take is ``rejected``; a change sooner than the actuator's ``min_interval`` after the last
one is ``rejected``. Only what passes every check is executed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from pigw.contract import (
    AckReply,
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
    repeat: AckReply | None = None


class RecentCommands:
    """The acknowledgements of the last ``limit`` commands that carried a ``cid`` (oldest forgotten
    first), so a redelivered command is acknowledged again without being executed again."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._acks: OrderedDict[str, AckReply] = OrderedDict()

    def get(self, cid: str) -> AckReply | None:
        return self._acks.get(cid)

    def remember(self, ack: AckReply) -> None:
        if ack.cid is None:
            return
        self._acks[ack.cid] = ack
        self._acks.move_to_end(ack.cid)
        while len(self._acks) > self.limit:
            self._acks.popitem(last=False)

    def __len__(self) -> int:
        return len(self._acks)


@dataclass(frozen=True, slots=True)
class Pacing:
    """An actuator's ``min_interval`` (seconds, ``None``: none), its current value, and the seconds
    since its last change (``None``: not changed by a command yet)."""

    min_interval: float | None = None
    current: bool | float | None = None
    since_last_change: float | None = None

    def refusal(self, value: bool | float) -> str | None:
        """Why changing to ``value`` now is refused, or ``None``. Setting the value the output
        already has changes nothing, so it is never refused."""
        if self.min_interval is None or self.since_last_change is None or value == self.current:
            return None
        if self.since_last_change >= self.min_interval:
            return None
        return (
            f"too soon: this actuator changes at most every {self.min_interval:g}s (min_interval),"
            f" the last change was {self.since_last_change:.1f}s ago"
        )


def response_topic_problem(topic: str | None) -> str | None:
    """Why an MQTT 5 response topic cannot be published to, or ``None`` when it can (or is absent).

    A topic name is non-empty and has no wildcard (MQTT 5.0 §3.3.2.3.5, §4.7.3) and no U+0000
    (§1.5.4); paho refuses to publish any other with a ``ValueError``."""
    if topic is None:
        return None
    if not topic:
        return "the response topic is empty"
    if "+" in topic or "#" in topic:
        return f"the response topic {topic[:64]!r} has a wildcard (MQTT 5.0 §3.3.2.3.5)"
    if "\x00" in topic:
        return "the response topic contains U+0000"
    return None


def decide(  # noqa: PLR0911 - one return per check, in the documented order
    kind: ActuatorKind,
    payload: bytes,
    retained: bool,
    now: datetime,
    recent: RecentCommands,
    *,
    response_topic: str | None = None,
    backlog_age: float | None = None,
    max_age: float = 30.0,
    pacing: Pacing | None = None,
) -> Decision:
    """Check one command for an actuator of ``kind``.

    ``backlog_age`` is how long the command may have waited in the broker's session (``None``: it
    cannot come from there; ``inf``: unknown), ``max_age`` the longest wait accepted for a command
    without ``exp``."""
    try:
        command = decode_command(payload)
    except ContractError as exc:
        return Decision(None, status=AckStatus.REJECTED, error=str(exc))
    problem = response_topic_problem(response_topic)
    if problem is not None:
        return Decision(command.cid, status=AckStatus.REJECTED, error=problem)
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
    if command.exp is None and backlog_age is not None and backlog_age > max_age:
        waited = "an unknown time" if backlog_age == float("inf") else f"up to {backlog_age:.0f}s"
        return Decision(
            command.cid,
            status=AckStatus.EXPIRED,
            error=(
                f"a command without exp that waited {waited} in the broker's session while the"
                f" agent was offline (more than {max_age:g}s): send it again, or with exp"
            ),
        )
    try:
        value = actuator_value(kind, command.value)
    except ContractError as exc:
        return Decision(command.cid, status=AckStatus.REJECTED, error=str(exc))
    too_soon = pacing.refusal(value) if pacing is not None else None
    if too_soon is not None:
        return Decision(command.cid, status=AckStatus.REJECTED, error=too_soon)
    return Decision(command.cid, execute=value)
