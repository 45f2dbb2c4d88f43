"""SLO API (thin edges): SLOs and their reports, SLI measurements, downtime, synthetic checks."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Path, Query

from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import add_timeline
from opsdesk.core.schemas import Brief, Id, Instant

from . import queries, services
from .models import Slo, SyntheticCheck, SyntheticResult
from .queries import DowntimeReport
from .reports import budget_history, report_of
from .schemas import (
    BudgetHistoryOut,
    CheckBrief,
    CheckIn,
    CheckOut,
    CheckPatch,
    CheckView,
    DowntimeReportOut,
    Kind,
    MeasurementsIn,
    MeasurementsOut,
    ResultOut,
    SloBrief,
    SloDetailBrief,
    SloDetailView,
    SloIn,
    SloKeyOut,
    SloOut,
    SloPatch,
    SloView,
)

router = Router()
TAG = ["slos"]
PERMISSION = "slas.write"
# The operation ids these had under opsdesk.slas.slo_api (clients generate names from them).
OPERATION = "opsdesk_slas_slo_api_"


def _with(slo: Slo, **extra: Any) -> Slo:
    """The SLO answered with what is not one of its fields (its key shown once, its report)."""
    for name, value in extra.items():
        setattr(slo, name, value)
    return slo


def _client_user(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_client_user", False))


@router.get("/slos", response=list[SloView], tags=TAG, operation_id=OPERATION + "list_slos")
@paginate(Page)
def list_slos(
    request: HttpRequest, service: Id | None = None, client: Id | None = None, kind: Kind | None = None,
    active: bool | None = None,
) -> list[Brief] | QuerySet[Slo]:
    """SLOs you may see, with the rules firing now (client users: their own services', brief)."""
    slos = queries.list_slos(request.user, service=service, client=client, kind=kind, active=active)
    return [Brief(s, SloBrief) for s in slos] if _client_user(request) else slos


@router.post("/slos", response={201: SloKeyOut}, tags=TAG, operation_id=OPERATION + "create_slo")
@answers(409)
def create_slo(request: HttpRequest, payload: SloIn) -> Status[Slo]:
    """Add an SLO (administrators); the answer carries its SLI key, shown this once."""
    require_write(request, PERMISSION)
    slo, raw = services.create_slo(payload.dict(), actor=signed_in(request.user))
    return Status(201, _with(queries.get_slo(request.user, slo.pk), key=raw))


@router.get("/slos/downtime", response=DowntimeReportOut, tags=TAG, operation_id=OPERATION + "downtime")
def downtime(
    request: HttpRequest, start: Instant | None = None, end: Instant | None = None, client: Id | None = None,
    service: Id | None = None,
) -> DowntimeReport:
    """Down and degraded seconds per service and per client over [start, end) (default: the last 28 days)."""
    return queries.downtime_report(request.user, start=start, end=end, client=client, service=service)


@router.get("/slos/{int:slo_id}", response=SloDetailView, tags=TAG, operation_id=OPERATION + "get_slo")
def get_slo(request: HttpRequest, slo_id: Id) -> Brief | Slo:
    """One SLO with its report now: attainment, error budget left, each rule's burn rates, what fires
    (client users: attainment and budget, brief)."""
    slo = queries.get_slo(request.user, slo_id)
    slo = _with(slo, report=report_of(slo, clock.now()))
    return Brief(slo, SloDetailBrief) if _client_user(request) else slo


@router.patch("/slos/{int:slo_id}", response=SloOut, tags=TAG, operation_id=OPERATION + "update_slo")
@answers(409)
def update_slo(request: HttpRequest, slo_id: Id, payload: SloPatch) -> Slo:
    """Change an SLO (administrators)."""
    slo = queries.get_slo(request.user, slo_id)
    require_write(request, PERMISSION)
    services.update_slo(slo, payload.dict(exclude_unset=True), actor=signed_in(request.user))
    return queries.get_slo(request.user, slo_id)


@router.post("/slos/{int:slo_id}/rotate-key", response=SloKeyOut,
              tags=TAG, operation_id=OPERATION + "rotate_key")
def rotate_key(request: HttpRequest, slo_id: Id) -> Slo:
    """Replace the SLI key; the old one stops working at once. The new key is shown this once."""
    slo = queries.get_slo(request.user, slo_id)
    require_write(request, PERMISSION)
    raw = services.rotate_slo_key(slo, actor=signed_in(request.user))
    return _with(slo, key=raw)


@router.get("/slos/{int:slo_id}/budget-history", response=BudgetHistoryOut,
             tags=TAG, operation_id=OPERATION + "get_budget_history")
def get_budget_history(
    request: HttpRequest, slo_id: Id, points: int = Query(96, ge=2, le=500),
) -> dict[str, object]:
    """Error budget left and the 1-hour burn rate at `points` instants over the SLO's window."""
    slo = queries.get_slo(request.user, slo_id)
    rows = budget_history(slo, clock.now(), points)
    return {"slo": slo.pk, "points": [{"at": at, "budget_remaining": left, "burn_rate_1h": burn}
                                      for at, left, burn in rows]}


add_timeline(router, "slos", queries.get_slo, "SLO", "slos")


@router.post("/slis/{key}/measurements", response={202: MeasurementsOut}, auth=None,
              tags=TAG, operation_id=OPERATION + "post_measurements")
def post_measurements(
    request: HttpRequest, payload: MeasurementsIn, key: str = Path(..., max_length=200),
) -> Status[dict[str, int]]:
    """Record good and total events per time bucket, authenticated by the SLI key in the path alone.

    All or nothing: a bad bucket refuses the batch (422 naming it by index). A start already
    recorded is replaced, so a retried batch changes nothing. Unknown or inactive key: 404.
    """
    slo = queries.get_slo_by_key(key)
    counts = services.record_measurements(slo, [b.dict() for b in payload.buckets])
    return Status(202, {"slo": slo.pk, **counts})


@router.get("/synthetic-checks", response=list[CheckView], tags=TAG, operation_id=OPERATION + "list_checks")
@paginate(Page)
def list_checks(
    request: HttpRequest, service: Id | None = None, client: Id | None = None, active: bool | None = None,
) -> list[Brief] | QuerySet[SyntheticCheck]:
    """Synthetic HTTP checks you may see (client users: brief, without what they probe)."""
    checks = queries.list_checks(request.user, service=service, client=client, active=active)
    return [Brief(c, CheckBrief) for c in checks] if _client_user(request) else checks


@router.post("/synthetic-checks", response={201: CheckOut}, tags=TAG, operation_id=OPERATION + "create_check")
def create_check(request: HttpRequest, payload: CheckIn) -> Status[SyntheticCheck]:
    """Add a synthetic check (administrators); the worker runs it at once, then every interval."""
    require_write(request, PERMISSION)
    return Status(201, services.create_check(payload.dict(), actor=signed_in(request.user)))


@router.get("/synthetic-checks/{int:check_id}", response=CheckView, tags=TAG, operation_id=OPERATION + "get_check")
def get_check(request: HttpRequest, check_id: Id) -> Brief | SyntheticCheck:
    """One synthetic check (client users: brief)."""
    check = queries.get_check(request.user, check_id)
    return Brief(check, CheckBrief) if _client_user(request) else check


@router.patch("/synthetic-checks/{int:check_id}", response=CheckOut,
              tags=TAG, operation_id=OPERATION + "update_check")
def update_check(request: HttpRequest, check_id: Id, payload: CheckPatch) -> SyntheticCheck:
    """Change a synthetic check (administrators)."""
    check = queries.get_check(request.user, check_id)
    require_write(request, PERMISSION)
    return services.update_check(check, payload.dict(exclude_unset=True), actor=signed_in(request.user))


@router.get("/synthetic-checks/{int:check_id}/results", response=list[ResultOut],
             tags=TAG, operation_id=OPERATION + "list_results")
@paginate(Page)
def list_results(request: HttpRequest, check_id: Id) -> QuerySet[SyntheticResult]:
    """A check's runs, newest first: status, duration, whether it passed and why not."""
    return queries.list_results(queries.get_check(request.user, check_id))


add_timeline(router, "synthetic-checks", queries.get_check, "synthetic check", "slos")
