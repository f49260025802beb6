"""The tests' one SSE parser (WHATWG HTML, "Server-sent events", §9.2.6 interpreting an event
stream), pure: the blocks of a body already read, and a line-by-line parser for a stream read as it
arrives (``tests/gateway/support.py``'s client, ``tests/reliability/browser.py``'s browser)."""

from __future__ import annotations

from dataclasses import dataclass, field


def blocks(body: bytes) -> list[dict[str, str]]:
    """The field blocks of an SSE body, comments left out: ``{"id", "event", "data", "retry"}``
    as far as each block has them (a ``retry:``-only block is a block too)."""
    out = []
    for block in body.decode().split("\n\n"):
        fields = dict(
            _field(line) for line in block.splitlines() if line and not line.startswith(":")
        )
        if fields:
            out.append(fields)
    return out


def events(body: bytes) -> list[dict[str, str]]:
    """The events of an SSE body (the blocks with an ``event:`` line)."""
    return [fields for fields in blocks(body) if "event" in fields]


@dataclass(frozen=True, slots=True)
class Dispatch:
    """One event as an ``EventSource`` hands it over."""

    event: str
    data: str
    id: str | None


@dataclass
class LineParser:
    """Feed it a stream's lines in order; :meth:`feed` returns each event as it completes. Keeps the
    last ``retry:`` hint, and the comments until the caller takes them when ``keep_comments`` (a
    browser drops them)."""

    retry: int | None = None
    keep_comments: bool = True
    comments: list[str] = field(default_factory=list)
    _fields: dict[str, str] = field(default_factory=dict)

    def feed(self, line: str) -> Dispatch | None:
        fields = self._fields
        if line == "":
            dispatch = None
            if "data" in fields:  # §9.2.6: an event without data is not dispatched
                dispatch = Dispatch(
                    fields.get("event", "message"), fields["data"], fields.get("id")
                )
            fields.clear()
            return dispatch
        if line.startswith(":"):
            if self.keep_comments:
                self.comments.append(line[1:].strip())
            return None
        name, value = _field(line)
        if name == "retry":
            if value.isdigit():
                self.retry = int(value)
        elif name == "id":
            if "\0" not in value:
                fields["id"] = value
        elif name in ("event", "data"):
            fields[name] = value
        return None


def _field(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value.removeprefix(" ")
