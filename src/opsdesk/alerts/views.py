"""Alert pages (staff only): the list with its filters, one alert with its labels and details, and
acknowledge and resolve. Integrations are in integration_views. Thin: one query or service each."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsdesk.core import clock
from opsdesk.core.views import (
    int_param,
    list_template,
    object_timeline,
    paginate,
    run_action,
    staff_page,
)

from . import page_queries, queries, services

WRITE = "alerts.write"


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The list filters from the query string."""
    text = {name: request.GET.get(name, "").strip()[:40] or None for name in ("status", "flapping", "maintenance")}
    ids = {name: int_param(request, name) for name in ("integration", "service", "client", "incident")}
    return {**text, **ids}


def _can_write(user: Any) -> bool:
    return bool(user.has_perm_code(WRITE))


@require_GET
@staff_page
def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts, most recently seen first: count, incident, maintenance, flapping."""
    filters = _filters(request)
    page = paginate(request, page_queries.list_alerts(request.user, filters))
    context = {"page": page, "filters": filters, "zone": _zone(request.user), "now": clock.now(),
               **page_queries.filter_options(request.user)}
    template = list_template(request, "alerts/alert_list.html", "alerts/partials/alert_rows.html")
    return render(request, template, context)


@require_GET
@staff_page
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert: status, labels, annotations, details, incident, maintenance, timeline."""
    alert = queries.get_alert(request.user, alert_id)
    context = {
        "alert": alert, "zone": _zone(request.user), "can_write": _can_write(request.user),
        "timeline": object_timeline(request, alert),
    }
    return render(request, "alerts/alert_detail.html", context)


def _act(request: HttpRequest, alert_id: int, action: Any, success: str) -> HttpResponse:
    alert = queries.get_alert(request.user, alert_id)
    if not _can_write(request.user):
        raise PermissionDenied("Your role may not acknowledge or resolve alerts.")
    run_action(request, lambda: action(alert, actor=request.user), success)
    return HttpResponseRedirect(reverse("alerts:detail", args=[alert.pk]))


@require_POST
@staff_page
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge a firing alert."""
    return _act(request, alert_id, services.acknowledge_alert, "Alert acknowledged.")


@require_POST
@staff_page
def resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Resolve an open alert by hand."""
    return _act(request, alert_id, services.resolve_alert, "Alert resolved.")


def _zone(user: Any) -> str:
    return getattr(user, "time_zone", "") or "UTC"
