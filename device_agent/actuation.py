"""Commands → outputs: check (pure :func:`device_agent.commanding.decide`), execute once, ack,
publish the new actuator state. Runs on the agent's loop.

Every command ends in exactly one acknowledgement and leaves the output and its published state
alike: a check that fails in a way nobody foresaw is acked ``rejected`` (never left unanswered), an
output that fails is acked ``error``, and the ack goes to an MQTT 5 response topic only when that
topic can be published to (issue 17, item 6)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from device_agent.commanding import Decision, Pacing, RecentCommands, decide, response_topic_problem
from device_agent.config import BoardConfig
from device_agent.hardware.board import Board
from device_agent.mqtt import Incoming
from device_agent.publisher import Publisher
from device_agent.session_backlog import SessionBacklog
from pigw.contract import AckReply, AckStatus, ActuatorKind, format_ts

log = logging.getLogger(__name__)


class Actuation:
    def __init__(
        self,
        config: BoardConfig,
        board: Board,
        publisher: Publisher,
        *,
        clock: Callable[[], float],
        command_max_age: float = 30.0,
    ) -> None:
        self.config = config
        self.board = board
        self.publisher = publisher
        self.clock = clock  # monotonic seconds: the loop's time
        self.command_max_age = command_max_age
        self.recent = RecentCommands()
        self.session = SessionBacklog()
        self._changed_at: dict[str, float] = {}  # actuator -> when a command last changed it
        self.executed = 0
        self.refused = 0

    def publish_all(self) -> None:
        """The current state of every output as a new state message (at start-up)."""
        for actuator_id, output in self.board.outputs.items():
            self.publisher.state(actuator_id, output.value, is_sensor=False)

    def make_safe(self) -> None:
        """Every output to its safe state; the changed ones publish their new state."""
        for actuator_id, output in self.board.outputs.items():
            before = output.value
            after = output.make_safe()
            if after != before:
                self.publisher.state(actuator_id, after, is_sensor=False)

    def command(self, actuator_id: str, message: Incoming) -> None:
        actuator = self.config.actuators.get(actuator_id)
        output = self.board.outputs.get(actuator_id)
        if actuator is None or output is None:
            self._ack(
                actuator_id, message, make_ack(None, AckStatus.REJECTED, None, "unknown actuator")
            )
            return
        try:
            decision = self._decide(actuator_id, ActuatorKind(actuator.kind), message, output.value)
        except Exception as exc:  # a crafted payload must still get its ack
            log.exception("command check failed", extra={"actuator": actuator_id})
            decision = Decision(
                None, status=AckStatus.REJECTED, error=f"command refused: {type(exc).__name__}"
            )
        if decision.repeat is not None:
            log.info("duplicate command %s acknowledged again", decision.cid)
            self.publisher.ack(
                actuator_id, decision.repeat, message.response_topic, message.correlation_data
            )
            return
        if decision.execute is None:
            self.refused += 1
            log.warning(
                "command refused: %s",
                decision.error,
                extra={"actuator": actuator_id, "status": str(decision.status)},
            )
            status = decision.status or AckStatus.REJECTED
            self._ack(
                actuator_id, message, make_ack(decision.cid, status, output.value, decision.error)
            )
            return
        before = output.value
        try:
            value = output.apply(decision.execute)
        except Exception as exc:  # a failing output is reported, never fatal
            log.exception("command failed", extra={"actuator": actuator_id})
            self._ack(actuator_id, message, make_ack(decision.cid, AckStatus.ERROR, None, str(exc)))
            self._publish_if_changed(actuator_id, before)
            return
        self.executed += 1
        if value != before:
            self._changed_at[actuator_id] = self.clock()
        self._ack(actuator_id, message, make_ack(decision.cid, AckStatus.OK, value, None))
        self.publisher.state(actuator_id, value, is_sensor=False)

    def _publish_if_changed(self, actuator_id: str, before: bool | float) -> None:
        """After a failed apply, the output may have moved part of the way: publish what it has."""
        try:
            after = self.board.outputs[actuator_id].value
        except Exception:  # an output that cannot be read keeps its last state
            log.exception("cannot read the output back", extra={"actuator": actuator_id})
            return
        if after != before:
            self.publisher.state(actuator_id, after, is_sensor=False)

    def _decide(
        self, actuator_id: str, kind: ActuatorKind, message: Incoming, current: bool | float
    ) -> Decision:
        now = self.clock()
        changed_at = self._changed_at.get(actuator_id)
        pacing = Pacing(
            min_interval=self.config.actuators[actuator_id].min_interval,
            current=current,
            since_last_change=None if changed_at is None else now - changed_at,
        )
        # A sender-set message expiry bounded the wait already (the broker enforced it).
        backlog_age = None if message.expiry is not None else self.session.age_bound(now)
        return decide(
            kind,
            message.payload,
            message.retain,
            datetime.now(UTC),
            self.recent,
            response_topic=message.response_topic,
            backlog_age=backlog_age,
            max_age=self.command_max_age,
            pacing=pacing,
        )

    def _ack(self, actuator_id: str, message: Incoming, ack: AckReply) -> None:
        if not message.retain:  # a refused retained copy must not shadow the real command
            self.recent.remember(ack)
        reply_to = message.response_topic
        if response_topic_problem(reply_to) is not None:
            reply_to = None  # acked on the ack topic only
        self.publisher.ack(actuator_id, ack, reply_to, message.correlation_data)


def make_ack(
    cid: str | None, status: AckStatus, value: bool | float | None, error: str | None
) -> AckReply:
    return AckReply(cid, status, value, format_ts(datetime.now(UTC)), error)
