"""MQTT topic names: the only place that builds or parses a topic string (CONTRACT.md, "MQTT topics").

Pure string logic, no I/O, so both the agent and the gateway import it and tests need no broker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pigw.contract.errors import ContractError
from pigw.contract.ids import check_id

DEFAULT_PREFIX: Final = "pigw"
DEFAULT_DISCOVERY_PREFIX: Final = "homeassistant"
GATEWAY_NAMESPACE: Final = "_gateway"
#: Alerts (CONTRACT.md v3): ``<p>/_alerts/<rule>/<device>[/<point>]``, retained, written by gateways.
ALERTS_NAMESPACE: Final = "_alerts"

# A prefix is one or more plain topic levels: no wildcards, no empty levels, no leading "$" (that
# namespace belongs to the broker, MQTT 5.0 §4.7.2).
_PREFIX_PATTERN: Final = re.compile(r"[^/+#$\x00][^/+#\x00]*(/[^/+#\x00]+)*")


class TopicKind(StrEnum):
    """What a topic under the prefix carries."""

    STATUS = "status"  # <p>/<dev>/status — agent birth / Last Will
    META = "meta"  # <p>/<dev>/meta — device description
    STATE = "state"  # <p>/<dev>/<point>/state — sensor reading or actuator state
    AVAILABILITY = "availability"  # <p>/<dev>/<sensor>/availability
    BACKLOG = "backlog"  # <p>/<dev>/backlog — buffered or replayed states
    SET = "set"  # <p>/<dev>/<actuator>/set — command
    REPLAY = "replay"  # <p>/<dev>/replay — replay request to the agent
    ACK = "ack"  # <p>/<dev>/<actuator>/ack — command acknowledgement
    GATEWAY_STATUS = "gateway_status"  # <p>/_gateway/<gateway-id>/status
    ALERT = "alert"  # <p>/_alerts/<rule>/<device>[/<point>] — an alert's state (retained)


_DEVICE_LEVEL: Final = {
    "status": TopicKind.STATUS,
    "meta": TopicKind.META,
    "backlog": TopicKind.BACKLOG,
    "replay": TopicKind.REPLAY,
}
_POINT_LEVEL: Final = {
    "state": TopicKind.STATE,
    "availability": TopicKind.AVAILABILITY,
    "set": TopicKind.SET,
    "ack": TopicKind.ACK,
}


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    """A topic taken apart. ``device`` is the gateway id for ``GATEWAY_STATUS``; ``point`` is the
    sensor or actuator id for the per-point kinds (and point alerts) and ``None`` otherwise;
    ``rule`` is set for ``ALERT`` only."""

    kind: TopicKind
    device: str
    point: str | None = None
    rule: str | None = None


def check_prefix(prefix: str, what: str = "topic prefix") -> str:
    """Return ``prefix`` if it is usable as a topic prefix, else raise :class:`ContractError`."""
    if not _PREFIX_PATTERN.fullmatch(prefix):
        raise ContractError(
            "bad_prefix",
            f"{what} {prefix!r} must be one or more topic levels without wildcards, "
            "empty levels or a leading '$'",
        )
    return prefix


class Topics:
    """Builds and parses every topic of one installation (one prefix)."""

    __slots__ = ("_cache", "discovery_prefix", "prefix")

    def __init__(
        self, prefix: str = DEFAULT_PREFIX, discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX
    ) -> None:
        self.prefix = check_prefix(prefix)
        self.discovery_prefix = check_prefix(discovery_prefix, "discovery prefix")
        # Parsing is on the gateway's hot path and the set of topics is small: memoise results.
        self._cache: dict[str, ParsedTopic] = {}

    # --- builders -------------------------------------------------------------------------
    def status(self, device: str) -> str:
        return f"{self.prefix}/{check_id(device, 'device id')}/status"

    def meta(self, device: str) -> str:
        return f"{self.prefix}/{check_id(device, 'device id')}/meta"

    def state(self, device: str, point: str) -> str:
        return self._point(device, point, "state")

    def availability(self, device: str, sensor: str) -> str:
        return self._point(device, sensor, "availability")

    def backlog(self, device: str) -> str:
        return f"{self.prefix}/{check_id(device, 'device id')}/backlog"

    def command(self, device: str, actuator: str) -> str:
        """``<p>/<dev>/<actuator>/set``."""
        return self._point(device, actuator, "set")

    def replay(self, device: str) -> str:
        return f"{self.prefix}/{check_id(device, 'device id')}/replay"

    def ack(self, device: str, actuator: str) -> str:
        return self._point(device, actuator, "ack")

    def gateway_status(self, gateway_id: str) -> str:
        return f"{self.prefix}/{GATEWAY_NAMESPACE}/{check_id(gateway_id, 'gateway id')}/status"

    def alert(self, rule: str, device: str, point: str | None = None) -> str:
        """``<p>/_alerts/<rule>/<device>[/<point>]``: the retained state of one alert."""
        topic = f"{self.prefix}/{ALERTS_NAMESPACE}/{check_id(rule, 'rule id')}/"
        topic += check_id(device, "device id")
        return topic if point is None else f"{topic}/{check_id(point, 'sensor/actuator id')}"

    def alerts_filter(self) -> str:
        """Every alert topic: ``<p>/_alerts/#``."""
        return f"{self.prefix}/{ALERTS_NAMESPACE}/#"

    def discovery(self, device: str) -> str:
        """Home Assistant device-based discovery: ``homeassistant/device/<dev>/config``."""
        return f"{self.discovery_prefix}/device/{check_id(device, 'device id')}/config"

    def ha_status(self) -> str:
        """Home Assistant's own birth topic; ``online`` there asks agents to republish."""
        return f"{self.discovery_prefix}/status"

    # --- subscription filters ---------------------------------------------------------------
    def all_filter(self) -> str:
        """Everything under the prefix: what the gateway subscribes to."""
        return f"{self.prefix}/#"

    def command_filter(self, device: str) -> str:
        """Every command to one device: ``<p>/<dev>/+/set``."""
        return f"{self.prefix}/{check_id(device, 'device id')}/+/set"

    # --- parser ---------------------------------------------------------------------------
    def parse(self, topic: str) -> ParsedTopic:
        """Take a topic under the prefix apart; raise :class:`ContractError` (``bad_topic`` or
        ``bad_id``) for anything the contract does not define."""
        cached = self._cache.get(topic)
        if cached is not None:
            return cached
        parsed = self._parse(topic)
        if len(self._cache) < 65536:  # bounded: ids are bounded per installation, junk is not
            self._cache[topic] = parsed
        return parsed

    def _parse(self, topic: str) -> ParsedTopic:
        head = self.prefix + "/"
        if not topic.startswith(head):
            raise ContractError("bad_topic", f"topic {topic!r} is not under {self.prefix!r}")
        levels = topic[len(head) :].split("/")
        if len(levels) == 2 and levels[1] in _DEVICE_LEVEL:
            return ParsedTopic(_DEVICE_LEVEL[levels[1]], check_id(levels[0], "device id"))
        if len(levels) == 3 and levels[0] == GATEWAY_NAMESPACE and levels[2] == "status":
            return ParsedTopic(TopicKind.GATEWAY_STATUS, check_id(levels[1], "gateway id"))
        if len(levels) in (3, 4) and levels[0] == ALERTS_NAMESPACE:
            return ParsedTopic(
                TopicKind.ALERT,
                check_id(levels[2], "device id"),
                check_id(levels[3], "sensor/actuator id") if len(levels) == 4 else None,
                check_id(levels[1], "rule id"),
            )
        if len(levels) == 3 and levels[2] in _POINT_LEVEL:
            return ParsedTopic(
                _POINT_LEVEL[levels[2]],
                check_id(levels[0], "device id"),
                check_id(levels[1], "sensor/actuator id"),
            )
        raise ContractError("bad_topic", f"topic {topic!r} is not part of the contract")

    def _point(self, device: str, point: str, leaf: str) -> str:
        return (
            f"{self.prefix}/{check_id(device, 'device id')}/"
            f"{check_id(point, 'sensor/actuator id')}/{leaf}"
        )
