"""API schemas of SLOs, SLI measurements, burn-rate reports, downtime and synthetic checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from typing_extensions import TypeAliasType

from opsdesk.core.schemas import Id, InSchema, Instant

MAX_COUNT = 2**63 - 1
MAX_MS = 2**31 - 1
Kind = Literal["availability", "latency"]


class SloIn(InSchema):
    """A new SLO on a service: availability (good / valid events) or latency (share faster than
    `latency_threshold_ms`), with an objective over a rolling window."""

    service: Id
    name: str = Field(..., min_length=1, max_length=200)
    kind: Kind
    objective: float = Field(..., gt=0, lt=1, description="Share of valid events that must be good, e.g. 0.999")
    window_days: int = Field(28, ge=1, le=90)
    latency_threshold_ms: int | None = Field(None, ge=1, le=MAX_MS, description="Latency SLOs only")
    alerting: bool = True
    active: bool = True


class SloPatch(InSchema):
    """Fields to change; kind and service stay as created."""

    name: str | None = Field(None, min_length=1, max_length=200)
    objective: float | None = Field(None, gt=0, lt=1)
    window_days: int | None = Field(None, ge=1, le=90)
    latency_threshold_ms: int | None = Field(None, ge=1, le=MAX_MS)
    alerting: bool | None = None
    active: bool | None = None


class SloBrief(Schema):
    """An SLO as a client user sees it: what is promised, not how it is measured or alerted on
    (no SLI key prefix, no alerting switch, no burn-rate rules)."""

    id: int
    service: int = Field(alias="service_id")
    service_name: str
    client: int
    name: str
    kind: str
    objective: float
    window_days: int
    latency_threshold_ms: int | None
    active: bool

    @staticmethod
    def resolve_service_name(obj: Any) -> str:
        return str(obj.service.name)

    @staticmethod
    def resolve_client(obj: Any) -> int:
        return int(obj.service.client_id)


class SloOut(SloBrief):
    """An SLO: never its key (only the first characters); `firing`: rule -> since."""

    key_prefix: str
    alerting: bool
    firing: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


SloView = TypeAliasType("SloView", Annotated[SloOut | SloBrief, Field(union_mode="left_to_right")])
"""An SLO in full (staff) or brief (client users)."""


class SloKeyOut(SloOut):
    """An SLO with its SLI key, shown this once: POST /api/v1/slis/{key}/measurements."""

    key: str


class RuleBurnOut(Schema):
    """One Workbook rule now: both windows' burn rates, the threshold, and whether it fires."""

    name: str
    action: str
    threshold: float
    long_window_s: float
    short_window_s: float
    long_rate: float
    short_rate: float
    firing: bool


class ReportOut(Schema):
    """The SLO over its window ending now."""

    now: dt.datetime
    good: float
    valid: float
    attainment: float | None
    met: bool
    budget_remaining: float
    rules: list[RuleBurnOut]
    firing: list[str]


class ReportBrief(Schema):
    """An SLO's attainment and budget now, without its burn-rate rules."""

    now: dt.datetime
    good: float
    valid: float
    attainment: float | None
    met: bool
    budget_remaining: float


class SloDetailBrief(SloBrief):
    """A client user's view of one SLO: the promise and how it is kept now."""

    report: ReportBrief


class SloDetailOut(SloOut):
    """An SLO with its report."""

    report: ReportOut


SloDetailView = Annotated[SloDetailOut | SloDetailBrief, Field(union_mode="left_to_right")]
"""One SLO with its report, in full (staff) or brief (client users)."""


class BudgetPointOut(Schema):
    """The rolling window ending at `at`: budget left and the 1-hour burn rate."""

    at: dt.datetime
    budget_remaining: float
    burn_rate_1h: float


class BudgetHistoryOut(Schema):
    """Budget remaining and burn over the SLO's window."""

    slo: int
    points: list[BudgetPointOut]


class BucketIn(InSchema):
    """Good and total (valid) events in [start, start + seconds)."""

    start: Instant
    seconds: int = Field(60, ge=1, le=3600)
    good: int = Field(..., ge=0, le=MAX_COUNT)
    total: int = Field(..., ge=0, le=MAX_COUNT)


class MeasurementsIn(InSchema):
    """A batch of buckets (at most 1,000); a start sent again replaces its counts."""

    buckets: list[BucketIn] = Field(..., min_length=1, max_length=1000)


class MeasurementsOut(Schema):
    """What was recorded."""

    slo: int
    written: int
    replaced: int


class DowntimeOut(Schema):
    """Down and degraded seconds of a service or a client."""

    id: int
    name: str
    client: int = Field(alias="client_id")
    down_seconds: float
    degraded_seconds: float


class DowntimeReportOut(Schema):
    """Down time (availability objective missed) and degraded time (latency objective missed while
    available) per service and per client over [start, end)."""

    start: dt.datetime
    end: dt.datetime
    services: list[DowntimeOut]
    clients: list[DowntimeOut]


class CheckIn(InSchema):
    """A synthetic HTTP check of a service's URL (GET, no redirects followed)."""

    service: Id
    name: str = Field(..., min_length=1, max_length=200)
    url: str = Field(..., min_length=1, max_length=500)
    fail_status_from: int = Field(400, ge=100, le=599)
    interval_seconds: int = Field(60, ge=30, le=86400)
    timeout_seconds: float = Field(5.0, ge=0.5, le=10)
    availability_slo: Id | None = None
    latency_slo: Id | None = None
    active: bool = True


class CheckPatch(InSchema):
    """Fields to change; the service stays."""

    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=500)
    fail_status_from: int | None = Field(None, ge=100, le=599)
    interval_seconds: int | None = Field(None, ge=30, le=86400)
    timeout_seconds: float | None = Field(None, ge=0.5, le=10)
    availability_slo: Id | None = None
    latency_slo: Id | None = None
    active: bool | None = None


class CheckOut(Schema):
    """A synthetic check and when it runs next."""

    id: int
    service: int = Field(alias="service_id")
    name: str
    url: str
    fail_status_from: int
    interval_seconds: int
    timeout_seconds: float
    availability_slo: int | None = Field(None, alias="availability_slo_id")
    latency_slo: int | None = Field(None, alias="latency_slo_id")
    active: bool
    next_run_at: dt.datetime | None
    created_at: dt.datetime


class CheckBrief(Schema):
    """A synthetic check as a client user sees it: its name and which SLOs it feeds, not what it
    probes (URL, status threshold, timing)."""

    id: int
    service: int = Field(alias="service_id")
    name: str
    availability_slo: int | None = Field(None, alias="availability_slo_id")
    latency_slo: int | None = Field(None, alias="latency_slo_id")
    active: bool


CheckView = TypeAliasType("CheckView", Annotated[CheckOut | CheckBrief, Field(union_mode="left_to_right")])
"""A synthetic check in full (staff) or brief (client users)."""


class ResultOut(Schema):
    """One run of a check."""

    id: int
    at: dt.datetime
    status_code: int | None
    duration_ms: float
    ok: bool
    error: str
