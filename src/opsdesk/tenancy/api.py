"""Clients API (thin: parse, call one service or query, render)."""

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.api import require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import add_timeline
from opsdesk.core.schemas import Id

from . import queries, services
from .schemas import ClientIn, ClientOut, ClientPatch

router = Router(tags=["clients"])


@router.get("/clients", response=list[ClientOut])
@paginate(Page)
def list_clients(request: HttpRequest, q: str | None = None):  # type: ignore[no-untyped-def]
    """Clients you may see (a client user: only their own)."""
    return queries.list_clients(request.user, q=q)


@router.post("/clients", response={201: ClientOut})
def create_client(request: HttpRequest, payload: ClientIn):  # type: ignore[no-untyped-def]
    """Register a client."""
    require_write(request, "clients.write")
    return Status(201, services.create_client(payload.dict(), actor=request.user))


@router.get("/clients/{int:client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: Id):  # type: ignore[no-untyped-def]
    """One client."""
    return queries.get_client(request.user, client_id)


@router.patch("/clients/{int:client_id}", response=ClientOut)
def update_client(request: HttpRequest, client_id: Id, payload: ClientPatch):  # type: ignore[no-untyped-def]
    """Change a client."""
    client = queries.get_client(request.user, client_id)
    require_write(request, "clients.write")
    return services.update_client(client, payload.dict(exclude_unset=True), actor=request.user)


@router.delete("/clients/{int:client_id}", response={204: None})
def delete_client(request: HttpRequest, client_id: Id):  # type: ignore[no-untyped-def]
    """Remove a client nothing refers to."""
    client = queries.get_client(request.user, client_id)
    require_write(request, "clients.write")
    services.delete_client(client, actor=request.user)
    return Status(204, None)


add_timeline(router, "clients", queries.get_client, "clients")
