"""Heartbeat pages (staff only): the form adding one to an integration; the list is on the
integration's page (alerts.integration_views)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from opsdesk.accounts.models import User
from opsdesk.core.errors import DomainError
from opsdesk.core.views import errors_on_fields, staff_page

from .. import queries as alert_queries
from ..models import Integration
from . import queries, services
from .forms import HeartbeatForm


def _require_write(user: Any) -> None:
    if not user.has_perm_code("integrations.write"):
        raise PermissionDenied("Your role may not manage integrations.")


def ping_url(request: HttpRequest, slug: str) -> str:
    """The URL a sender pings."""
    return request.build_absolute_uri(f"/api/v1/heartbeats/{slug}/ping")


def for_integration_page(request: HttpRequest, integration: Integration, can_write: bool) -> dict[str, Any]:
    """What the integration page shows of its heartbeats: the rows (with ping URLs) and the form."""
    rows = [(h, ping_url(request, h.slug)) for h in queries.list_heartbeats(
        request.user, integration=integration.pk).select_related("service")]
    return {"heartbeats": rows, "heartbeat_form": HeartbeatForm(integration=integration) if can_write else None}


@require_http_methods(["GET", "POST"])
@staff_page
def heartbeat_new(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Add a heartbeat to an integration; back to its page on success."""
    integration = alert_queries.get_integration(request.user, integration_id)
    _require_write(request.user)
    form = HeartbeatForm(request.POST or None, integration=integration)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actor = cast(User, request.user)  # signed in: staff_page
                made = services.create_heartbeat(integration, form.to_data(), actor=actor)
            except DomainError as exc:
                errors_on_fields(form, exc)
            except ValidationError as exc:  # the model's own checks (a slug already used on this integration)
                form.add_error(None, "; ".join(exc.messages))
            else:
                messages.success(request, f"Heartbeat {made.name} added: ping {ping_url(request, made.slug)} "
                                          "with the integration key.")
                return HttpResponseRedirect(reverse("alerts:integration", args=[integration.pk]) + "#heartbeats")
        status = 400
    return render(request, "alerts/heartbeat_form.html", {"integration": integration, "form": form}, status=status)
