"""Client pages: the list (a client user sees only their own) and the client detail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core.views import object_timeline, page_view, paginate

from . import queries


@require_GET
@page_view
def client_list(request: HttpRequest) -> HttpResponse:
    """Clients the user may see, optionally filtered by name."""
    q = request.GET.get("q", "").strip() or None
    page = paginate(request, queries.list_clients(request.user, q=q))
    return render(request, "tenancy/client_list.html", {"page": page, "q": q})


@require_GET
@page_view
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    """One client with its sites, services and (for staff) its users."""
    client = queries.get_client(request.user, client_id)
    context = {"client": client, "timeline": object_timeline(request, client)}
    return render(request, "tenancy/client_detail.html", context)
