"""The raw readings of a history answer as JSON text, made once and spliced into the response.

``GET …/history?step=raw`` over a day at 1 reading/s answers 86,400 readings (issue 14). Building a
dict per reading and ``json.dumps`` of the whole list took most of the answer's time, so the
``readings`` array is made here as text, and the stores hand over what it is made of with as little
Python per reading as they can (:meth:`gateway.recorder.store.HistoryStore.readings_json`):
PostgreSQL builds the whole array in SQL; SQLite formats ``ts`` in SQL and the rows become text
here in C (one ``%``-format of the whole array, the value by ``%r``).

Whatever the path, the bytes are exactly those of the old encoding, Starlette's ``JSONResponse``
(``json.dumps(…, ensure_ascii=False, allow_nan=False, separators=(",", ":"))``) of
``[{"value": v, "ts": iso_ms(ts_ms), "seq": seq}, …]``: ``true``/``false`` for digital points, an
int as ``int.__repr__``, a float as ``float.__repr__`` (what ``json`` writes), and a value that is
not finite is the same ``ValueError`` ``json.dumps`` raises. ``tests/recorder/test_raw_json.py``
compares them byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from gateway.recorder.records import RawReading, iso_ms

#: One reading whose value is already JSON text (``true``/``false`` of a digital point).
TEXT_ROW = '{"value":%s,"ts":"%s","seq":%d}'
#: One reading whose value is a Python float or int: ``%r`` is the ``repr`` that ``json`` writes.
NUMBER_ROW = '{"value":%r,"ts":"%s","seq":%d}'
#: ``ts`` the stores can format in SQL exactly as :func:`iso_ms` does: 1970-01-01 .. 9999-12-31.
SQL_TS_MIN, SQL_TS_MAX = 0, 253_402_300_799_999
NOT_FINITE = "Out of range float values are not JSON compliant"

#: A row of a store's fast path: (value, ts as ``iso_ms`` text, seq); the value is a float, or
#: ``"true"``/``"false"`` for a digital point.
TextRow = tuple[float | str, str, int]


@dataclass(frozen=True, slots=True)
class RawJson:
    """A point's raw readings as the JSON array text (``[…]``), oldest first, the most recent
    ``limit`` of the window, ``count`` of them. For the ring merge of
    :mod:`gateway.recorder.queries`: ``seqs`` are the seqs of the readings at or after the
    ``seqs_from_ms`` asked for (the ring's oldest: the ring holds the newest readings, so only
    these can be among them), ``last_ts_ms`` is the newest reading's ``ts``."""

    text: str
    count: int
    truncated: bool
    last_ts_ms: int | None
    seqs: Collection[int]

    @staticmethod
    def from_readings(
        readings: Sequence[RawReading], truncated: bool, seqs_from_ms: int
    ) -> RawJson:
        """The general path (what an adapter falls back to)."""
        seqs = [r.seq for r in readings if r.ts_ms >= seqs_from_ms]
        last = readings[-1].ts_ms if readings else None
        return RawJson(readings_text(readings), len(readings), truncated, last, seqs)


def readings_text(readings: Iterable[RawReading]) -> str:
    """The general path: any :class:`RawReading` (bool, int or float values, any ``ts``), the
    very encoding the route used before (so it is exact by construction)."""
    return json.dumps(
        [{"value": r.value, "ts": iso_ms(r.ts_ms), "seq": r.seq} for r in readings],
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    )


def rows_text(rows: Sequence[TextRow], *, boolean: bool) -> str:
    """The fast path: rows of (value, ts text, seq) with ``ts`` formatted by the store. ``boolean``:
    the values are ``"true"``/``"false"`` already; else floats (or ints), written with ``%r``."""
    # One %-format of the whole array (the row template repeated): all in C, and faster than a
    # format per row (36 against 44 ms for a day of readings in a side test).
    template = ",".join([TEXT_ROW if boolean else NUMBER_ROW] * len(rows))
    text = f"[{template % tuple(chain.from_iterable(rows))}]"
    # ``%r`` writes nan/inf where json.dumps(allow_nan=False) refuses; no other text of a number
    # row holds an "n" ("value", "ts", "seq", digits, "e", "T", "Z"), so one C scan keeps the old
    # behaviour.
    if not boolean and "n" in text:
        raise ValueError(NOT_FINITE)
    return text


def envelope(head: Mapping[str, object], readings: str, truncated: bool) -> bytes:
    """The whole ``step=raw`` answer: ``head``'s keys (device, the role, unit, from, to, step; never
    empty) as ``JSONResponse`` encodes them, then ``readings`` spliced in, then ``truncated``."""
    prefix = json.dumps(head, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    tail = "true" if truncated else "false"
    return f'{prefix[:-1]},"readings":{readings},"truncated":{tail}}}'.encode()


def ts_text_ms(text: str) -> int:
    """A ``ts`` as :func:`iso_ms` writes it, back to epoch milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000 + 0.5)
