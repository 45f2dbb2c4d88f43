"""Site pages: a filterable list and a detail page with local time, hours, holidays and rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core.views import int_param, list_template, object_timeline, page_view, paginate
from opsdesk.tenancy import queries as client_queries

from . import queries
from .models import Site


@require_GET
@page_view
def site_list(request: HttpRequest) -> HttpResponse:
    """Sites the user may see, filtered by region, kind, client and search text."""
    filters: dict[str, Any] = {
        "region": request.GET.get("region", "").strip() or None,
        "kind": request.GET.get("kind", "").strip() or None,
        "client": int_param(request, "client"),
        "q": request.GET.get("q", "").strip() or None,
    }
    page = paginate(request, queries.list_sites(request.user, **filters))
    context = {
        "page": page,
        "filters": filters,
        "regions": queries.list_regions(request.user),
        "kinds": Site.Kind.choices,
        "clients": client_queries.list_clients(request.user),
    }
    template = list_template(request, "sites/site_list.html", "sites/partials/site_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    """One site: where and when it is, its hours and holidays, its requirements, its timeline."""
    site = queries.get_site(request.user, site_id)
    context = {
        "site": site,
        "clock": queries.site_clock(site),
        "timeline": object_timeline(request, site),
    }
    return render(request, "sites/site_detail.html", context)
