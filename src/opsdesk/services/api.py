"""Services and dependency graph API (thin edges)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id
from opsdesk.tenancy.queries import get_client

from . import queries, services
from .models import Service
from .schemas import GraphOut, ServiceIn, ServiceOut, ServicePatch

router = Router(tags=["services"])


@router.get("/services", response=list[ServiceOut])
@paginate(Page)
def list_services(
    request: HttpRequest,
    client: Id | None = None,
    site: Id | None = None,
    criticality: int | None = None,
    q: str | None = None,
) -> QuerySet[Service]:
    """Services you may see."""
    return queries.list_services(request.user, client=client, site=site, criticality=criticality, q=q)


@router.post("/services", response={201: ServiceOut})
@answers(404, 409)
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Service]:
    """Add a service; `depends_on` that would close a cycle is refused with 409."""
    require_write(request, "services.write")
    get_client(request.user, payload.client)
    service = services.create_service(payload.dict(), actor=signed_in(request.user))
    return Status(201, queries.get_service(request.user, service.pk))


@router.get("/services/{int:service_id}/graph", response=GraphOut)
def service_graph(request: HttpRequest, service_id: Id) -> dict[str, object]:
    """Everything the service depends on (upstream) and everything that depends on it (downstream)."""
    service = queries.get_service(request.user, service_id)
    return {
        "service": service.pk,
        "upstream": list(queries.services_by_ids(request.user, queries.upstream_ids(service))),
        "downstream": list(queries.services_by_ids(request.user, queries.downstream_ids(service))),
    }


add_object_routes(router, ObjectRoutes(
    collection="services", noun="service", tag="services", permission="services.write",
    out=ServiceOut, get=queries.get_service, patch=ServicePatch,
    update=services.update_service, delete=services.delete_service,
))
