"""Channels pages (staff only): the endpoints, adding one, and one endpoint with its deliveries."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.core.errors import DomainError
from opsdesk.core.views import errors_on_fields, paginate, staff_page

from . import queries, services
from .forms import EndpointForm

WRITE = "integrations.write"


def _require_write(user: Any) -> User:
    if not user.has_perm_code(WRITE):
        raise PermissionDenied("Your role may not manage channels.")
    return cast(User, user)


@staff_page
def endpoint_list(request: HttpRequest) -> HttpResponse:
    """Every endpoint with its state, last delivery and failures in a row."""
    return render(request, "channels/list.html", {"endpoints": queries.list_endpoints(request.user),
                                                  "can_write": request.user.has_perm_code(WRITE)})  # type: ignore[union-attr]


@require_http_methods(["GET", "POST"])
@staff_page
def endpoint_new(request: HttpRequest) -> HttpResponse:
    """Add an endpoint; a webhook's secret is shown once on the next page."""
    actor = _require_write(request.user)
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint, secret = services.create_endpoint(form.to_data(), actor=actor)
            except DomainError as exc:
                errors_on_fields(form, exc)
            else:
                return _detail(request, endpoint.pk, secret=secret)
        status = 400
    return render(request, "channels/form.html", {"form": form}, status=status)


def _detail(request: HttpRequest, endpoint_id: int, *, secret: str = "", status: int = 200) -> HttpResponse:
    endpoint = queries.get_endpoint(request.user, endpoint_id)
    page = paginate(request, queries.list_deliveries(request.user, endpoint.pk))
    return render(request, "channels/detail.html", {
        "endpoint": endpoint, "page": page, "secret": secret, "can_write": request.user.has_perm_code(WRITE),  # type: ignore[union-attr]
        "slack_token": bool(settings.OPSDESK_SLACK_BOT_TOKEN),
    }, status=status)


@staff_page
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """One endpoint: its settings, its deliveries newest first with every attempt's answer."""
    return _detail(request, endpoint_id)


def _back(endpoint_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("channels:detail", args=[endpoint_id]))


@require_POST
@staff_page
def endpoint_action(request: HttpRequest, endpoint_id: int, action: str) -> HttpResponse:
    """enable, disable, test or rotate (the new secret shown once); back to the endpoint."""
    endpoint = queries.get_endpoint(request.user, endpoint_id)
    actor = _require_write(request.user)
    try:
        if action == "rotate":
            return _detail(request, endpoint.pk, secret=services.rotate_secret(endpoint, actor=actor))
        if action == "enable":
            services.enable_endpoint(endpoint, actor=actor)
            messages.success(request, "Endpoint enabled.")
        elif action == "disable":
            services.disable_endpoint(endpoint, "switched off by hand", actor=actor)
            messages.success(request, "Endpoint disabled.")
        else:
            delivery = services.send_test(endpoint, actor=actor)
            messages.info(request, f"Test event: {delivery.get_state_display()}.")
    except DomainError as exc:
        messages.error(request, exc.detail)
    return _back(endpoint.pk)


@require_POST
@staff_page
def delivery_replay(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    """Send one delivery again now (same webhook-id)."""
    delivery = queries.get_delivery(request.user, endpoint_id, delivery_id)
    actor = _require_write(request.user)
    again = services.replay(delivery, actor)
    messages.info(request, f"Replayed: {again.get_state_display()}.")
    return _back(endpoint_id)
