"""Response models of the history routes (CONTRACT.md v3, the recorder and the audit log): what
OpenAPI, and so the dashboard's generated types, say the JSON is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JsonValue = bool | int | float


class HistoryReading(BaseModel):
    value: JsonValue
    ts: str = Field(description="UTC ISO-8601 with milliseconds: when it was measured")
    seq: int


class HistoryBucket(BaseModel):
    ts: str = Field(description="the bucket's start (UTC)")
    min: float
    max: float
    avg: float = Field(description="for true/false points: the share of readings that were true")
    last: float
    count: int


class History(BaseModel):
    """One sensor's or actuator's history: ``readings`` for ``step=raw``, else ``buckets``.
    ``sensor`` or ``actuator`` names the point."""

    device: str
    sensor: str | None = None
    actuator: str | None = None
    unit: str | None
    from_: str = Field(alias="from", description="the window asked for (start)")
    to: str = Field(description="the window asked for (end)")
    step: Literal["raw", "1m", "1h"]
    readings: list[HistoryReading] | None = Field(None, description="step=raw: oldest first")
    buckets: list[HistoryBucket] | None = Field(
        None, description="step=1m or 1h: oldest first, empty buckets left out"
    )
    truncated: bool = Field(description="more than max_points: the most recent were kept")


class DeviceReading(BaseModel):
    ts: str
    point: str
    role: Literal["sensor", "actuator"]
    value: JsonValue
    seq: int


class DeviceHistory(BaseModel):
    device: str
    from_: str = Field(alias="from")
    to: str
    readings: list[DeviceReading] = Field(description="every point, raw, oldest first")
    truncated: bool


class MissingRange(BaseModel):
    from_seq: int
    to_seq: int
    reason: Literal["requested", "unavailable"] = Field(
        description="requested: a replay is pending; unavailable: the agent answered without it, "
        "or nobody will ask again"
    )


class Coverage(BaseModel):
    device: str
    first_seq: int | None
    last_seq: int | None
    recorded: int = Field(description="readings held")
    missing: list[MissingRange]


class AuditEntry(BaseModel):
    ts: str
    principal: str = Field(description="the token's name; 'open' without a tokens file")
    device: str
    actuator: str
    value: JsonValue | str | None
    cid: str | None = Field(description="the cid the gateway put on the MQTT command")
    status: str = Field(
        description="the ack's status (ok, error, rejected, expired), or timeout, offline, "
        "refused (403, 422, 429 before publishing), unavailable (no broker)"
    )
    error: str | None
    latency_ms: float | None
    via: Literal["rest", "ws"]


class Audit(BaseModel):
    entries: list[AuditEntry] = Field(description="newest first")
