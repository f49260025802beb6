"""History, export, coverage and audit routes (CONTRACT.md v3, the recorder and the audit log).

Every parameter is read here as text and checked by hand, so that a bad one is a 400 naming the
parameter and the reason (FastAPI's own validation would answer 422); an unknown device or point
is a 404. The answers are built from :class:`gateway.recorder.queries.HistoryQueries`.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from gateway.api import history_models as models
from gateway.api.deps import OperatorDep, RuntimeDep, ViewerDep
from gateway.api.schemas import Problem
from gateway.recorder.queries import HistoryQueries
from gateway.recorder.raw_json import envelope
from gateway.recorder.records import PointRef, PointRole, Tier, iso_ms
from gateway.recorder.step import DEFAULT_MAX_POINTS, MAX_MAX_POINTS
from gateway.recorder.store import StoreUnavailable
from gateway.runtime import Runtime
from pigw.contract import format_ts

router = APIRouter(prefix="/api", tags=["history"])

V2_DEFAULT_LIMIT = 100
AUDIT_DEFAULT_LIMIT = 100
AUDIT_MAX_LIMIT = 10_000

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "a parameter is bad: the detail names it and says why"},
    404: {"model": Problem, "description": "unknown device or point"},
    503: {"model": Problem, "description": "the history store is failing (buckets only)"},
}
CSV_CONTENT = {
    "application/json": {},
    "text/csv": {"schema": {"type": "string"}, "example": "ts,value,seq\n"},
}

TimeParam = Annotated[
    str | None,
    Query(max_length=40, description="ISO-8601 time (without an offset: UTC)"),
]
FromParam = Annotated[
    str | None,
    Query(alias="from", max_length=40, description="window start, ISO-8601 (default: to - 24 h)"),
]
FormatParam = Annotated[
    str | None, Query(description="json (default) or csv; `Accept: text/csv` works too")
]
MaxPointsParam = Annotated[
    str | None,
    Query(description=f"at most this many readings or buckets (default {DEFAULT_MAX_POINTS}, "
          f"max {MAX_MAX_POINTS}); the most recent are kept"),
]  # fmt: skip


def bad(parameter: str, why: str) -> HTTPException:
    return HTTPException(400, f"{parameter}: {why}")


def parse_time(parameter: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise bad(parameter, f"{text!r} is not an ISO-8601 time") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_count(parameter: str, text: str | None, default: int, maximum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise bad(parameter, f"{text!r} is not a whole number") from exc
    if not 1 <= value <= maximum:
        raise bad(parameter, f"{value} is outside 1..{maximum}")
    return value


def window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """``from``/``to``: default the last 24 h up to now; 400 when from > to."""
    to = parse_time("to", end) if end is not None else datetime.now(UTC)
    begin = parse_time("from", start) if start is not None else to - timedelta(hours=24)
    if begin > to:
        raise bad("from", f"{format_ts(begin)} is after to ({format_ts(to)})")
    return begin, to


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("json", "csv"):
            raise bad("format", f"{fmt!r} is not json or csv")
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


iso = iso_ms


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["true" if v is True else "false" if v is False else v for v in row])
    return out.getvalue()


def csv_response(text: str, name: str, begin: datetime) -> Response:
    stamp = begin.strftime("%Y%m%dT%H%M%SZ")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
    )


def queries(runtime: Runtime) -> HistoryQueries:
    return runtime.history


def _unit(runtime: Runtime, ref: PointRef) -> str | None:
    state = runtime.registry.get(ref.device)
    if state is None:
        return None
    current = state.points.get(ref.point)
    if current is not None and current.unit is not None:
        unit: str | None = current.unit
        return unit
    meta = state.meta
    if meta is not None:
        declared = (meta.sensors if ref.role == "sensor" else meta.actuators).get(ref.point)
        if declared is not None:
            return str(declared.unit) if declared.unit is not None else None
    return None


@dataclass(frozen=True, slots=True)
class PointParams:
    """The query parameters of a point's history, as text (checked by :func:`point_window`)."""

    start: str | None
    end: str | None
    step: str | None
    max_points: str | None
    since: str | None
    limit: str | None


def point_window(params: PointParams) -> tuple[datetime, datetime, Tier | None, int]:
    """``from``, ``to``, the tier (None: auto) and the cap, from v3 or v2 parameters."""
    start, end, step = params.start, params.end, params.step
    since, limit, max_points = params.since, params.limit, params.max_points
    if since is not None and start is not None:
        raise bad("since", "give from or since (v2), not both")
    if limit is not None and max_points is not None:
        raise bad("limit", "give max_points or limit (v2), not both")
    v2 = since is not None or limit is not None
    cap = parse_count(
        "limit" if limit is not None else "max_points",
        limit if limit is not None else max_points,
        V2_DEFAULT_LIMIT if v2 and step is None else DEFAULT_MAX_POINTS,
        MAX_MAX_POINTS,
    )
    if v2 and start is None and since is not None:
        begin = parse_time("since", since)
        to = parse_time("to", end) if end is not None else datetime.now(UTC)
        if begin > to:
            raise bad("since", f"{format_ts(begin)} is after to ({format_ts(to)})")
    elif v2 and start is None:
        to = parse_time("to", end) if end is not None else datetime.now(UTC)
        begin = datetime(1970, 1, 1, tzinfo=UTC)  # v2: the most recent, however old
    else:
        begin, to = window(start, end)
    tier: Tier | None
    if step is None:
        tier = Tier.RAW if v2 else None
    elif step == "auto":
        tier = None
    else:
        try:
            tier = Tier(step)
        except ValueError as exc:
            raise bad("step", f"{step!r} is not raw, 1m, 1h or auto") from exc
    return begin, to, tier, cap


async def point_history(
    request: Request, runtime: Runtime, ref: PointRef, params: PointParams, fmt: str | None
) -> Response:
    as_csv = wants_csv(request, fmt)
    begin, to, tier, cap = point_window(params)
    history = queries(runtime)
    if not await history.known_device(ref.device):
        raise HTTPException(404, f"unknown device {ref.device!r}")
    if not await history.known_point(ref):
        raise HTTPException(404, f"device {ref.device!r} has no {ref.role} {ref.point!r}")
    head: dict[str, Any] = {
        "device": ref.device,
        ref.role: ref.point,
        "unit": _unit(runtime, ref),
        "from": format_ts(begin),
        "to": format_ts(to),
    }
    start_ms, end_ms = ms(begin), ms(to)
    try:
        if not as_csv:
            if tier is None:
                tier = await history.tier(ref, start_ms, end_ms, cap)
            if tier is Tier.RAW:
                # The readings array comes as text, spliced into the very bytes JSONResponse
                # wrote for the whole document (issue 14: a raw day as fast as InfluxDB's).
                raw = await history.raw_json(ref, start_ms, end_ms, cap)
                body = envelope({**head, "step": tier.value}, raw.text, raw.truncated)
                return Response(body, media_type="application/json")
        answer = await history.point(ref, start_ms, end_ms, tier, cap)
    except StoreUnavailable as exc:
        raise HTTPException(503, f"the history store is failing ({exc.cause})") from exc
    if as_csv:
        if answer.step is Tier.RAW:
            text = csv_text(
                ("ts", "value", "seq"), ((iso(r.ts_ms), r.value, r.seq) for r in answer.readings)
            )
        else:
            text = csv_text(
                ("ts", "min", "max", "avg", "last", "count"),
                ((iso(b.ts_ms), b.min, b.max, b.avg, b.last, b.count) for b in answer.buckets),
            )
        return csv_response(text, f"{ref.device}-{ref.point}", begin)
    doc: dict[str, Any] = {**head, "step": answer.step.value}
    doc["buckets"] = [
        {"ts": iso(b.ts_ms), "min": b.min, "max": b.max, "avg": b.avg, "last": b.last,
         "count": b.count}
        for b in answer.buckets
    ]  # fmt: skip
    doc["truncated"] = answer.truncated
    return JSONResponse(doc)


StepParam = Annotated[
    str | None,
    Query(description="raw, 1m, 1h or auto (default: the finest that fits max_points)"),
]
SinceParam = Annotated[
    str | None, Query(max_length=40, description="v2: raw readings at or after this time")
]
LimitParam = Annotated[str | None, Query(description="v2: the most recent N raw readings")]


def _point_route(role: PointRole) -> Any:
    async def route(
        request: Request,
        dev: str,
        point: str,
        runtime: RuntimeDep,
        _: ViewerDep,
        *,
        start: FromParam = None,
        to: TimeParam = None,
        step: StepParam = None,
        max_points: MaxPointsParam = None,
        format: FormatParam = None,
        since: SinceParam = None,
        limit: LimitParam = None,
    ) -> Response:
        params = PointParams(start, to, step, max_points, since, limit)
        return await point_history(request, runtime, PointRef(dev, role, point), params, format)

    return route


_DOC = (
    "The {role}'s history in ``from``..``to`` (default the last 24 h): raw readings or 1-minute / "
    "1-hour buckets (min, max, avg, last, count; true/false count as 1/0). ``step=auto`` picks the "
    "finest tier with at most ``max_points``. The v2 ``since``/``limit`` give the ``limit`` most "
    "recent raw readings since ``since``. JSON, or CSV (``format=csv`` or ``Accept: text/csv``) "
    'with ``Content-Disposition: attachment; filename="<dev>-<point>-<from>.csv"``.'
)
router.add_api_route(
    "/devices/{dev}/sensors/{point}/history",
    _point_route("sensor"),
    methods=["GET"],
    response_model=models.History,
    responses={**ERRORS, 200: {"content": CSV_CONTENT}},
    summary="Sensor History",
    description=_DOC.format(role="sensor"),
    operation_id="sensor_history",
)
router.add_api_route(
    "/devices/{dev}/actuators/{point}/history",
    _point_route("actuator"),
    methods=["GET"],
    response_model=models.History,
    responses={**ERRORS, 200: {"content": CSV_CONTENT}},
    summary="Actuator History",
    description=_DOC.format(role="actuator"),
    operation_id="actuator_history",
)


@router.get(
    "/devices/{dev}/history",
    response_model=models.DeviceHistory,
    responses={**ERRORS, 200: {"content": CSV_CONTENT}},
)
async def device_history(
    request: Request,
    dev: str,
    runtime: RuntimeDep,
    _: ViewerDep,
    *,
    start: FromParam = None,
    to: TimeParam = None,
    max_points: MaxPointsParam = None,
    format: FormatParam = None,
) -> Response:
    """Every point of a device, raw, long form, oldest first: CSV ``ts,point,role,value,seq`` or
    JSON. At most ``max_points`` readings (default and max 100,000), the most recent."""
    as_csv = wants_csv(request, format)
    begin, end = window(start, to)
    cap = parse_count("max_points", max_points, MAX_MAX_POINTS, MAX_MAX_POINTS)
    history = queries(runtime)
    if not await history.known_device(dev):
        raise HTTPException(404, f"unknown device {dev!r}")
    readings, truncated = await history.device(dev, ms(begin), ms(end), cap)
    if as_csv:
        text = csv_text(
            ("ts", "point", "role", "value", "seq"),
            ((iso(r.ts_ms), r.point, r.role, r.value, r.seq) for r in readings),
        )
        return csv_response(text, dev, begin)
    return JSONResponse(
        {
            "device": dev,
            "from": format_ts(begin),
            "to": format_ts(end),
            "readings": [
                {
                    "ts": iso(r.ts_ms),
                    "point": r.point,
                    "role": r.role,
                    "value": r.value,
                    "seq": r.seq,
                }
                for r in readings
            ],
            "truncated": truncated,
        }
    )


@router.get("/devices/{dev}/coverage", response_model=models.Coverage, responses=ERRORS)
async def device_coverage(dev: str, runtime: RuntimeDep, _: ViewerDep) -> JSONResponse:
    """What the history store holds of the device's seq line, and what it lacks and why
    (``requested``: a replay is pending; ``unavailable``: it will not come). With
    ``--history-url none`` nothing is held: all null and empty."""
    history = queries(runtime)
    if not await history.known_device(dev):
        raise HTTPException(404, f"unknown device {dev!r}")
    try:
        cov = await history.coverage(dev)
    except StoreUnavailable as exc:
        raise HTTPException(503, f"the history store is failing ({exc.cause})") from exc
    return JSONResponse(
        {
            "device": dev,
            "first_seq": cov.first_seq,
            "last_seq": cov.last_seq,
            "recorded": cov.recorded,
            "missing": [
                {"from_seq": m.from_seq, "to_seq": m.to_seq, "reason": m.reason.value}
                for m in cov.missing
            ],
        }
    )


AuditLimitParam = Annotated[
    str | None,
    Query(description=f"at most N entries (default {AUDIT_DEFAULT_LIMIT}, max {AUDIT_MAX_LIMIT})"),
]


@router.get(
    "/audit",
    response_model=models.Audit,
    responses={
        **{k: v for k, v in ERRORS.items() if k == 400},
        403: {"model": Problem, "description": "needs the operator role"},
        200: {"content": CSV_CONTENT},
    },
)
async def audit(
    request: Request,
    runtime: RuntimeDep,
    _: OperatorDep,
    *,
    device: Annotated[str | None, Query(max_length=64, description="only this device")] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: TimeParam = None,
    limit: AuditLimitParam = None,
    format: FormatParam = None,
) -> Response:
    """Every command through the gateway (REST or WebSocket), newest first: who, what, the
    outcome and how long the ack took."""
    as_csv = wants_csv(request, format)
    begin = parse_time("from", start) if start is not None else None
    end = parse_time("to", to) if to is not None else None
    if begin is not None and end is not None and begin > end:
        raise bad("from", f"{format_ts(begin)} is after to ({format_ts(end)})")
    count = parse_count("limit", limit, AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT)
    entries = await runtime.audit.query(
        device, ms(begin) if begin else None, ms(end) if end else None, count
    )
    rows = [
        {"ts": iso(e.ts_ms), "principal": e.principal, "device": e.device,
         "actuator": e.actuator, "value": e.value, "cid": e.cid, "status": e.status,
         "error": e.error, "latency_ms": e.latency_ms, "via": e.via}
        for e in entries
    ]  # fmt: skip
    if as_csv:
        header = ("ts", "principal", "device", "actuator", "value", "cid", "status", "error",
                  "latency_ms", "via")  # fmt: skip
        text = csv_text(header, ([row[h] for h in header] for row in rows))
        stamp = begin or datetime.fromtimestamp(time.time(), UTC)
        return csv_response(text, "audit", stamp)
    return JSONResponse({"entries": rows})
