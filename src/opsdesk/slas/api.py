"""SLA API (thin edges): an object's clocks, and the policies."""

from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.api import require_write
from opsdesk.core.pagination import Page
from opsdesk.core.schemas import Id

from . import attainment, clocks, queries, services
from .attainment import Attainment
from .clocks import Sla
from .models import SlaPolicy
from .schemas import AttainmentOut, SlaOut, SlaPolicyIn, SlaPolicyOut, SlaPolicyPatch

router = Router()
TAG = ["slas"]


@router.get("/work-orders/{int:wo_id}/sla", response=SlaOut, tags=TAG)
def work_order_sla(request: HttpRequest, wo_id: Id) -> Sla:
    """The work order's SLA clocks (response, on-site, resolution) now, in its site's business time."""
    return clocks.sla_of(queries.get_work_order(request.user, wo_id), request.user)


@router.get("/incidents/{int:incident_id}/sla", response=SlaOut, tags=TAG)
def incident_sla(request: HttpRequest, incident_id: Id) -> Sla:
    """The incident's SLA clocks (response, resolution) now."""
    return clocks.sla_of(queries.get_incident(request.user, incident_id), request.user)


@router.get("/sla/policies", response=list[SlaPolicyOut], tags=TAG)
@paginate(Page)
def list_policies(
    request: HttpRequest, applies_to: Literal["work_order", "incident"] | None = None, client: Id | None = None,
    active: bool | None = None,
) -> QuerySet[SlaPolicy]:
    """SLA policies: staff see all; client users their own client's and the defaults (read-only)."""
    return queries.list_policies(request.user, applies_to=applies_to, client=client, active=active)


@router.get("/sla/policies/{int:policy_id}", response=SlaPolicyOut, tags=TAG)
def get_policy(request: HttpRequest, policy_id: Id) -> SlaPolicy:
    """One SLA policy."""
    return queries.get_policy(request.user, policy_id)


@router.post("/sla/policies", response={201: SlaPolicyOut}, tags=TAG)
def create_policy(request: HttpRequest, payload: SlaPolicyIn) -> Status[SlaPolicy]:
    """Add an SLA policy (administrators)."""
    require_write(request, "slas.write")
    return Status(201, services.create_policy(payload.dict(), actor=signed_in(request.user)))


@router.patch("/sla/policies/{int:policy_id}", response=SlaPolicyOut, tags=TAG)
def update_policy(request: HttpRequest, policy_id: Id, payload: SlaPolicyPatch) -> SlaPolicy:
    """Change an SLA policy (administrators)."""
    policy = queries.get_policy(request.user, policy_id)  # another client's policy: 404 before 403
    require_write(request, "slas.write")
    return services.update_policy(policy, payload.dict(exclude_unset=True), actor=signed_in(request.user))


@router.get("/sla/attainment", response=list[AttainmentOut], tags=TAG)
def sla_attainment(
    request: HttpRequest, group_by: Literal["client", "region", "site"] = "client",
    kind: Literal["work_order", "incident"] = "work_order",
    target: Literal["response", "onsite", "resolution"] = "resolution",
    since: str | None = None, until: str | None = None,
) -> list[Attainment]:
    """SLA attainment per client, region or site and month (YYYY-MM, UTC; default the last six
    months): targets met and breached in the month they settled. Client users see their own."""
    first, last = attainment.month_range(since, until, clock.today_utc())
    return attainment.list_attainment(request.user, group_by=group_by, kind=kind, target=target,
                                      first=first, last=last)
