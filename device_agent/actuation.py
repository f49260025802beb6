"""Commands → outputs: check (pure :func:`device_agent.commanding.decide`), execute once, ack,
publish the new actuator state. Runs on the agent's loop."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from device_agent.commanding import RecentCommands, decide
from device_agent.config import BoardConfig
from device_agent.hardware.board import Board
from device_agent.mqtt import Incoming
from device_agent.publisher import Publisher
from pigw.contract import Ack, AckStatus, ActuatorKind, format_ts

log = logging.getLogger(__name__)


class Actuation:
    def __init__(self, config: BoardConfig, board: Board, publisher: Publisher) -> None:
        self.config = config
        self.board = board
        self.publisher = publisher
        self.recent = RecentCommands()
        self.executed = 0
        self.refused = 0

    def publish_all(self) -> None:
        """The current state of every output as a new state message (at start-up)."""
        for actuator_id, output in self.board.outputs.items():
            self.publisher.state(actuator_id, False, output.value, None)

    def make_safe(self) -> None:
        """Every output to its safe state; the changed ones publish their new state."""
        for actuator_id, output in self.board.outputs.items():
            before = output.value
            after = output.make_safe()
            if after != before:
                self.publisher.state(actuator_id, False, after, None)

    def command(self, actuator_id: str, message: Incoming) -> None:
        now = datetime.now(UTC)
        actuator = self.config.actuators.get(actuator_id)
        output = self.board.outputs.get(actuator_id)
        if actuator is None or output is None:
            self._ack(
                actuator_id, message, make_ack(None, AckStatus.REJECTED, None, "unknown actuator")
            )
            return
        decision = decide(
            ActuatorKind(actuator.kind), message.payload, message.retain, now, self.recent
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
        try:
            value = output.apply(decision.execute)
        except Exception as exc:  # a failing output is reported, never fatal
            log.exception("command failed", extra={"actuator": actuator_id})
            self._ack(actuator_id, message, make_ack(decision.cid, AckStatus.ERROR, None, str(exc)))
            return
        self.executed += 1
        self._ack(actuator_id, message, make_ack(decision.cid, AckStatus.OK, value, None))
        self.publisher.state(actuator_id, False, value, None)

    def _ack(self, actuator_id: str, message: Incoming, ack: Ack) -> None:
        if not message.retain:  # a refused retained copy must not shadow the real command
            self.recent.remember(ack)
        self.publisher.ack(actuator_id, ack, message.response_topic, message.correlation_data)


def make_ack(
    cid: str | None, status: AckStatus, value: bool | float | None, error: str | None
) -> Ack:
    return Ack(cid=cid, status=status, value=value, ts=format_ts(datetime.now(UTC)), error=error)
