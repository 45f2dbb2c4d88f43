"""The client portal: request work, follow it in plain language, read the completion report, talk
to the service desk. Client users see only their client's work and never internal comments."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.actors import signed_in
from opsdesk.core.views import (
    errors_on_fields,
    form_action,
    int_param,
    object_timeline,
    page_view,
    paginate,
    submit_form,
)

from . import page_queries, queries, services
from .forms import CommentForm, RequestForm

CLIENT_STATES = {
    "draft": "Draft",
    "submitted": "Received",
    "triage": "Being reviewed",
    "readiness": "Being arranged",
    "ready": "Ready to schedule",
    "scheduled": "Scheduled",
    "dispatched": "Engineer assigned",
    "en_route": "Engineer on the way",
    "on_site": "Engineer on site",
    "completed": "Completed",
    "verified": "Completed and verified",
    "closed": "Closed",
    "on_hold": "On hold",
    "blocked": "Waiting",
    "cancelled": "Cancelled",
}


def _request_form(request: HttpRequest, data: Any = None) -> RequestForm:
    return RequestForm(data, user=request.user, **page_queries.request_choices(request.user))


@require_http_methods(["GET", "POST"])
@page_view
def portal(request: HttpRequest) -> HttpResponse:
    """My requests, and the form to request work (POST creates a submitted work order)."""
    user: Any = request.user
    if request.method == "POST":
        form = _request_form(request, request.POST)
        done = submit_form(
            request, form, lambda f: services.create_work_order(f.to_data(), actor=user),
            success=lambda wo: f"Thank you: your request is WO-{wo.pk}. We will keep you posted here.",
            redirect_to=lambda wo: reverse("workorders:portal-detail", args=[wo.pk]),
            refused=errors_on_fields,
        )
        if done is not None:
            return done
        status = 400
    else:
        form, status = _request_form(request), 200
    client = None if user.is_client_user else int_param(request, "client")
    page = paginate(request, queries.list_work_orders(user, client=client), per_page=25)
    context = {
        "form": form,
        "page": page,
        "states": CLIENT_STATES,
        "zone": page_queries.viewer_zone(user),
        "show_form": request.method == "POST" or request.GET.get("new") == "1" or not page.paginator.count,
    }
    return render(request, "workorders/portal.html", context, status=status)


@require_GET
@page_view
def portal_detail(request: HttpRequest, wo_id: int) -> HttpResponse:
    """One request as the client sees it: state, what we wait for, ETA, report, comments."""
    user: Any = request.user
    wo = queries.get_work_order(user, wo_id)
    view = page_queries.readiness_for(wo)
    context = {
        "wo": wo,
        "state_label": CLIENT_STATES.get(wo.state, wo.get_state_display()),
        "lines": page_queries.client_lines(wo, view) if wo.state in OPEN else [],
        "ready": view.ready,
        "zone": page_queries.viewer_zone(user),
        "site_zone": wo.site.time_zone,
        "comments": queries.list_comments(user, wo, visibility="client"),
        "comment_form": CommentForm(),
        "timeline": object_timeline(request, wo) if user.is_client_user else None,
    }
    return render(request, "workorders/portal_detail.html", context)


OPEN = frozenset({"submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route", "blocked", "on_hold"})


@require_POST
@page_view
def portal_comment(request: HttpRequest, wo_id: int) -> HttpResponse:
    """A comment from the portal: always visible to the client."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, CommentForm({"body": request.POST.get("body", ""), "visibility": "client"}),
        lambda d: services.add_comment(wo, d["body"], visibility="client", actor=signed_in(request.user)),
        success="Message sent.",
        invalid="Write your message first.",
        redirect_to=reverse("workorders:portal-detail", args=[wo.pk]) + "#comments",
    )
