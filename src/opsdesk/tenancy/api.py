"""Clients API (thin: parse, call one service or query, render)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes

from . import queries, services
from .models import Client
from .schemas import ClientIn, ClientOut, ClientPatch

router = Router(tags=["clients"])


@router.get("/clients", response=list[ClientOut])
@paginate(Page)
def list_clients(request: HttpRequest, q: str | None = None) -> QuerySet[Client]:
    """Clients you may see (a client user: only their own)."""
    return queries.list_clients(request.user, q=q)


@router.post("/clients", response={201: ClientOut})
@answers(409)
def create_client(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    """Register a client."""
    require_write(request, "clients.write")
    return Status(201, services.create_client(payload.dict(), actor=signed_in(request.user)))


add_object_routes(router, ObjectRoutes(
    collection="clients", noun="client", tag="clients", permission="clients.write", out=ClientOut,
    get=queries.get_client, patch=ClientPatch, update=services.update_client, delete=services.delete_client,
))
