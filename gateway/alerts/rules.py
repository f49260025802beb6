"""The alerts file (``--alerts-file``, TOML): rules and notifiers, checked before anything starts.

Pure apart from :func:`load_rules`, which reads the file: :func:`parse_rules` takes the text, so the
checks are unit-tested without a file. Every refusal is an :class:`AlertsFileError` whose message
names the rule (or notifier) and the key, because that line is all an operator sees when the gateway
refuses to start (CONTRACT.md v3, "Alerts"; issue 16).

Durations (``for``) are seconds: a number, or a string of number-unit pairs such as ``"90s"``,
``"5m"``, ``"1h30m"`` (units ``s``, ``m``, ``h``, ``d``).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

from pigw.contract import ContractError, check_id

Condition = Literal["above", "below", "offline", "stale"]
Severity = Literal["info", "warning", "critical"]
NotifierType = Literal["webhook", "mqtt"]

CONDITIONS: Final = frozenset(get_args(Condition))
SEVERITIES: Final = frozenset(get_args(Severity))
#: Conditions on a value: they need a ``point`` and a ``threshold``.
VALUE_CONDITIONS: Final = frozenset({"above", "below"})
#: Bounds of one file: more is refused at start-up (a typo in a generator, not a real setup).
MAX_RULES: Final = 1000
MAX_NOTIFIERS: Final = 100
#: The longest ``for`` accepted: a week (longer is almost certainly a unit mistake).
MAX_FOR_SECONDS: Final = 7 * 86_400.0

_RULE_KEYS: Final = frozenset(
    {"id", "device", "point", "when", "threshold", "clear", "for", "severity", "notify"}
)
_WEBHOOK_KEYS: Final = frozenset({"type", "url", "headers", "timeout"})
_MQTT_KEYS: Final = frozenset({"type"})
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}


class AlertsFileError(ValueError):
    """The alerts file cannot be used; the message names the file, the rule and the key."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``[[rules]]`` table. ``device`` is an id or ``"*"``; ``point`` is ``None`` for device
    rules (``offline``). ``clear`` defaults to ``threshold`` (no hysteresis)."""

    id: str
    device: str
    point: str | None
    when: Condition
    threshold: float | None = None
    clear: float | None = None
    for_s: float = 0.0
    severity: Severity = "warning"
    notify: tuple[str, ...] = ()

    def matches(self, device: str, point: str | None) -> bool:
        return self.device in ("*", device) and self.point == point


@dataclass(frozen=True, slots=True)
class WebhookNotifier:
    """``type = "webhook"``: POST the alert's JSON to ``url`` with ``headers``."""

    name: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class MqttNotifier:
    """``type = "mqtt"``: publish the alert's JSON retained on ``pigw/_alerts/<rule>/<device>[/<point>]``."""

    name: str


Notifier = WebhookNotifier | MqttNotifier


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything one alerts file says. An empty set (no file) evaluates nothing."""

    rules: tuple[Rule, ...] = ()
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


def load_rules(path: Path) -> RuleSet:
    """Read and check ``path``; :class:`AlertsFileError` (naming the file) for anything wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertsFileError(f"alerts file {path}: cannot be read: {exc}") from exc
    try:
        return parse_rules(text)
    except AlertsFileError as exc:
        raise AlertsFileError(f"alerts file {path}: {exc}") from exc


def parse_rules(text: str) -> RuleSet:
    """Check a whole alerts file given as text."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AlertsFileError(f"not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"rules", "notifiers"})
    if unknown:
        raise AlertsFileError(f"unknown key {unknown[0]!r} (only [[rules]] and [notifiers.<name>])")
    notifiers = _notifiers(document.get("notifiers", {}))
    raw_rules = document.get("rules", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        raise AlertsFileError("key 'rules' must be an array of tables ([[rules]])")
    if len(raw_rules) > MAX_RULES:
        raise AlertsFileError(f"{len(raw_rules)} rules: at most {MAX_RULES}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule = _rule(raw, index, notifiers)
        if rule.id in seen:
            raise AlertsFileError(f"rule {rule.id!r}: key 'id': used by an earlier rule")
        seen.add(rule.id)
        rules.append(rule)
    return RuleSet(tuple(rules), notifiers)


def parse_duration(raw: object) -> float:
    """Seconds from a number or a string like ``"5m"`` / ``"1h30m"``; TypeError or ValueError
    otherwise."""
    if isinstance(raw, bool):
        raise TypeError("a duration is a number of seconds or a string like '5m', not a boolean")
    if isinstance(raw, int | float):
        seconds = float(raw)
    elif isinstance(raw, str):
        text = raw.strip().lower()
        parts = _DURATION_PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{raw!r} is not a duration (seconds, or e.g. '90s', '5m', '1h30m')")
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    else:
        raise TypeError(f"a duration is a number of seconds or a string, not {raw!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{raw!r}: a duration must be a finite number >= 0")
    if seconds > MAX_FOR_SECONDS:
        raise ValueError(f"{raw!r}: at most {MAX_FOR_SECONDS:g} seconds (a week)")
    return seconds


# --- the parts --------------------------------------------------------------------------------
def _rule(raw: dict[str, Any], index: int, notifiers: dict[str, Notifier]) -> Rule:
    name = raw.get("id")
    where = f"rule {name!r}" if isinstance(name, str) else f"rule #{index}"

    def bad(key: str, why: str) -> AlertsFileError:
        return AlertsFileError(f"{where}: key {key!r}: {why}")

    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
    for key in ("id", "device", "when"):
        if key not in raw:
            raise bad(key, "missing")
    rule_id = _checked_id(raw["id"], "rule id", bad, "id")
    device = raw["device"]
    if device != "*":
        device = _checked_id(device, "device id", bad, "device")
    when = raw["when"]
    if when not in CONDITIONS:
        raise bad("when", f"{when!r} is not one of {', '.join(sorted(CONDITIONS))}")
    point = _point(raw, when, bad)
    threshold, clear = _bounds(raw, when, bad)
    try:
        for_s = parse_duration(raw.get("for", 0))
    except (TypeError, ValueError) as exc:
        raise bad("for", str(exc)) from exc
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise bad("severity", f"{severity!r} is not one of {', '.join(sorted(SEVERITIES))}")
    notify = _notify(raw, notifiers, bad)
    return Rule(
        id=rule_id,
        device=device,
        point=point,
        when=when,
        threshold=threshold,
        clear=clear,
        for_s=for_s,
        severity=severity,
        notify=notify,
    )


def _point(raw: dict[str, Any], when: str, bad: Any) -> str | None:
    point = raw.get("point")
    if when == "offline":
        if point is not None:
            raise bad("point", "an 'offline' rule is about the whole device: leave 'point' out")
        return None
    if point is None:
        raise bad("point", f"missing (a {when!r} rule names a sensor or actuator)")
    return _checked_id(point, "point id", bad, "point")


def _bounds(raw: dict[str, Any], when: str, bad: Any) -> tuple[float | None, float | None]:
    """``threshold`` and ``clear`` (default: the threshold) of a value rule; none for the rest."""
    if when not in VALUE_CONDITIONS:
        for key in ("threshold", "clear"):
            if key in raw:
                raise bad(key, f"only 'above' and 'below' rules take a {key}")
        return None, None
    if "threshold" not in raw:
        raise bad("threshold", f"missing (every {when!r} rule needs one)")
    threshold = _number(raw["threshold"], bad, "threshold")
    clear = threshold if "clear" not in raw else _number(raw["clear"], bad, "clear")
    if when == "above" and clear > threshold:
        raise bad("clear", f"{clear:g} is above the threshold {threshold:g} of an 'above' rule")
    if when == "below" and clear < threshold:
        raise bad("clear", f"{clear:g} is below the threshold {threshold:g} of a 'below' rule")
    return threshold, clear


def _notify(raw: dict[str, Any], notifiers: dict[str, Notifier], bad: Any) -> tuple[str, ...]:
    notify = raw.get("notify", [])
    if not isinstance(notify, list) or not all(isinstance(n, str) for n in notify):
        raise bad("notify", "must be a list of notifier names")
    for target in notify:
        if target not in notifiers:
            raise bad("notify", f"no notifier {target!r} (add a [notifiers.{target}] table)")
    return tuple(dict.fromkeys(notify))


def _notifiers(raw: object) -> dict[str, Notifier]:
    if not isinstance(raw, dict):
        raise AlertsFileError("key 'notifiers' must be a table of [notifiers.<name>] tables")
    if len(raw) > MAX_NOTIFIERS:
        raise AlertsFileError(f"{len(raw)} notifiers: at most {MAX_NOTIFIERS}")
    notifiers: dict[str, Notifier] = {}
    for name, table in raw.items():
        where = f"notifier {name!r}"

        def bad(key: str, why: str, where: str = where) -> AlertsFileError:
            return AlertsFileError(f"{where}: key {key!r}: {why}")

        _checked_id(name, "notifier name", bad, "name")
        if not isinstance(table, dict):
            raise bad("type", "must be a table with a 'type'")
        kind = table.get("type")
        if kind == "webhook":
            notifiers[name] = _webhook(name, table, bad)
        elif kind == "mqtt":
            unknown = sorted(set(table) - _MQTT_KEYS)
            if unknown:
                raise bad(unknown[0], "unknown key (an mqtt notifier takes only 'type')")
            notifiers[name] = MqttNotifier(name)
        elif kind is None:
            raise bad("type", "missing ('webhook' or 'mqtt')")
        else:
            raise bad("type", f"{kind!r} is not 'webhook' or 'mqtt'")
    return notifiers


def _webhook(name: str, table: dict[str, Any], bad: Any) -> WebhookNotifier:
    unknown = sorted(set(table) - _WEBHOOK_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key (known: {', '.join(sorted(_WEBHOOK_KEYS))})")
    url = table.get("url")
    if not isinstance(url, str):
        raise bad("url", "missing (the address to POST alerts to)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad("url", f"{url!r} is not an http:// or https:// URL")
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise bad("headers", "must be a table of header names to string values")
    timeout = table.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise bad("timeout", "seconds per attempt, a number in (0, 300]")
    return WebhookNotifier(name, url, tuple(sorted(headers.items())), float(timeout))


def _checked_id(value: object, what: str, bad: Any, key: str) -> str:
    try:
        return check_id(value, what)
    except ContractError as exc:
        raise bad(key, str(exc.args[0])) from exc


def _number(value: object, bad: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(key, f"{value!r} is not a finite number")
    return float(value)
