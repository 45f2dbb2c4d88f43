"""Engineer pages (staff only): a filterable list and a detail page with qualifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core.views import list_template, object_timeline, paginate, staff_page
from opsdesk.sites import queries as site_queries

from . import queries


@require_GET
@staff_page
def engineer_list(request: HttpRequest) -> HttpResponse:
    """Engineers, filtered by home region, skill and name."""
    filters: dict[str, Any] = {
        "region": request.GET.get("region", "").strip() or None,
        "skill": request.GET.get("skill", "").strip() or None,
        "q": request.GET.get("q", "").strip() or None,
    }
    page = paginate(request, queries.list_engineers(request.user, **filters))
    context = {
        "page": page,
        "filters": filters,
        "regions": site_queries.list_regions(request.user),
        "skills": queries.list_skills(request.user),
    }
    template = list_template(
        request, "people/engineer_list.html", "people/partials/engineer_rows.html"
    )
    return render(request, template, context)


@require_GET
@staff_page
def engineer_detail(request: HttpRequest, engineer_id: int) -> HttpResponse:
    """One engineer: base, hours, skills, certifications with expiry warnings, access, absences."""
    engineer = queries.get_engineer(request.user, engineer_id)
    context = {
        "engineer": engineer,
        "absences": queries.list_absences(request.user, engineer=engineer.pk),
        "timeline": object_timeline(request, engineer),
    }
    return render(request, "people/engineer_detail.html", context)
