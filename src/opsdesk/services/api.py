"""Services and dependency graph API (thin edges)."""

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.api import require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import add_timeline
from opsdesk.core.schemas import Id
from opsdesk.tenancy.queries import get_client

from . import queries, services
from .schemas import GraphOut, ServiceIn, ServiceOut, ServicePatch

router = Router(tags=["services"])


@router.get("/services", response=list[ServiceOut])
@paginate(Page)
def list_services(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    client: Id | None = None,
    site: Id | None = None,
    criticality: int | None = None,
    q: str | None = None,
):
    """Services you may see."""
    return queries.list_services(request.user, client=client, site=site, criticality=criticality, q=q)


@router.post("/services", response={201: ServiceOut})
def create_service(request: HttpRequest, payload: ServiceIn):  # type: ignore[no-untyped-def]
    """Add a service; `depends_on` that would close a cycle is refused with 409."""
    require_write(request, "services.write")
    get_client(request.user, payload.client)
    service = services.create_service(payload.dict(), actor=request.user)
    return Status(201, queries.get_service(request.user, service.pk))


@router.get("/services/{int:service_id}", response=ServiceOut)
def get_service(request: HttpRequest, service_id: Id):  # type: ignore[no-untyped-def]
    """One service."""
    return queries.get_service(request.user, service_id)


@router.patch("/services/{int:service_id}", response=ServiceOut)
def update_service(request: HttpRequest, service_id: Id, payload: ServicePatch):  # type: ignore[no-untyped-def]
    """Change a service."""
    service = queries.get_service(request.user, service_id)
    require_write(request, "services.write")
    services.update_service(service, payload.dict(exclude_unset=True), actor=request.user)
    return queries.get_service(request.user, service_id)


@router.delete("/services/{int:service_id}", response={204: None})
def delete_service(request: HttpRequest, service_id: Id):  # type: ignore[no-untyped-def]
    """Remove a service."""
    service = queries.get_service(request.user, service_id)
    require_write(request, "services.write")
    services.delete_service(service, actor=request.user)
    return Status(204, None)


@router.get("/services/{int:service_id}/graph", response=GraphOut)
def service_graph(request: HttpRequest, service_id: Id):  # type: ignore[no-untyped-def]
    """Everything the service depends on (upstream) and everything that depends on it (downstream)."""
    service = queries.get_service(request.user, service_id)
    return {
        "service": service.pk,
        "upstream": list(queries.services_by_ids(request.user, queries.upstream_ids(service))),
        "downstream": list(queries.services_by_ids(request.user, queries.downstream_ids(service))),
    }


add_timeline(router, "services", queries.get_service, "services")
