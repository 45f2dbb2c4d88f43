"""Incident pages: the list (open first), the incident page built for the moment of crisis, the
client's version of it, and the declare and edit forms. Thin: parse, call queries or services,
render. The page's POSTed actions are in action_views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from opsdesk.core import clock
from opsdesk.core.views import (
    errors_on_fields,
    int_param,
    list_template,
    object_timeline,
    page_view,
    paginate,
    staff_page,
    submit_form,
)

from . import client_view, page_queries, queries, services
from .forms import DeclareForm, EditForm, NoteForm, OwnerForm, RoleForm, TransitionForm, UpdateForm
from .models import Audience, Incident

PERMISSION = "incidents.write"
FILTER_TEXT = ("state", "severity", "status")


def can_write(user: Any) -> bool:
    """Whether the user may act on incidents (client users never do)."""
    return not getattr(user, "is_client_user", False) and user.has_perm_code(PERMISSION)


def require_write(user: Any) -> None:
    """Client users never act on incidents (404 as if the page did not exist); others need incidents.write."""
    if getattr(user, "is_client_user", False):
        raise Http404("No such page.")
    if not user.has_perm_code(PERMISSION):
        raise PermissionDenied("Your role may not act on incidents.")


def viewer_zone(user: Any) -> str:
    """The viewer's own time zone (incidents are not at one site)."""
    return getattr(user, "time_zone", "") or "UTC"


def detail_url(incident_id: int, anchor: str = "") -> str:
    """The incident's page, at a section."""
    return reverse("incidents:detail", args=[incident_id]) + anchor


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The list filters from the query string."""
    out: dict[str, Any] = {name: request.GET.get(name, "").strip()[:40] or None for name in FILTER_TEXT}
    out["service"] = int_param(request, "service")
    out["client"] = int_param(request, "client")
    return out


@require_GET
@page_view
def incident_list(request: HttpRequest) -> HttpResponse:
    """Incidents the user may see, open ones first; client users see those impacting them."""
    user: Any = request.user
    filters = _filters(request)
    if user.is_client_user:
        filters = {"status": filters["status"]}
    page = paginate(request, page_queries.list_incidents(user, filters))
    context = {
        "page": page, "filters": filters, "now": clock.now(), "zone": viewer_zone(user),
        "can_write": can_write(user), "client_statuses": [("open", "Open now"), ("closed", "Resolved")],
        **({} if user.is_client_user else page_queries.filter_options(user)),
    }
    if user.is_client_user:
        return render(request, "incidents/client_list.html", context)
    template = list_template(request, "incidents/list.html", "incidents/partials/incident_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The incident page; client users get their version (their updates, plain words, no internal data)."""
    user: Any = request.user
    incident = queries.get_incident(user, incident_id)
    if user.is_client_user:
        return render(request, "incidents/client_detail.html", client_context(request, incident))
    return render(request, "incidents/detail.html", detail_context(request, incident))


def client_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """What the client page shows: state in plain words, next update due, client and end-user updates."""
    user: Any = request.user
    return {
        "incident": client_view.for_reader(incident, user),
        "state_label": page_queries.CLIENT_STATES.get(incident.state, incident.get_state_display()),
        "due": page_queries.next_update_due(incident),
        "updates": client_view.updates(page_queries.client_updates(user, incident), user),
        "impact": page_queries.client_impact(user, incident),
        "history": page_queries.client_history(incident),
        "zone": viewer_zone(user),
        "is_open": incident.state in page_queries.OPEN,
    }


def _update_blocks(request: HttpRequest, incident: Incident, bound: dict[str, Any]) -> list[page_queries.AudienceBlock]:
    """One block per audience: its updates, templates and form (pre-filled from ?template=)."""
    user: Any = request.user
    zone = viewer_zone(user)
    updates = page_queries.updates_by_audience(user, incident)
    templates = page_queries.templates_by_audience(incident)
    chosen = page_queries.prefill(int_param(request, "template"), incident) if request.method == "GET" else None
    blocks = []
    for value, label in Audience.choices:
        form = bound.get(f"update_{value}")
        if form is None:
            initial = chosen[1] if chosen and chosen[0] == value else None
            form = UpdateForm(initial=initial, audience=value, time_zone=zone)
        form.prefilled = bool(chosen and chosen[0] == value)
        blocks.append(page_queries.AudienceBlock(value, str(label), updates.get(value, []), templates.get(value, []), form))
    return blocks


def detail_context(request: HttpRequest, incident: Incident, **bound: Any) -> dict[str, Any]:
    """Everything the incident page shows; `bound` carries forms re-shown with their errors."""
    user: Any = request.user
    staff = page_queries.staff_users(user)
    roles = page_queries.role_rows(incident, user)
    due = page_queries.next_update_due(incident)
    entries = list(object_timeline(request, incident))
    return {
        "incident": incident,
        "now": clock.now(),
        "zone": viewer_zone(user),
        "due": due,
        "next_action": page_queries.next_action(incident, roles, due),
        "roles": roles,
        "role_forms": {r.role: bound.get(f"role_{r.role}") or RoleForm(staff=staff, prefix=r.role) for r in roles},
        "owner_form": bound.get("owner_form") or OwnerForm(staff=staff),
        "impact": incident.impact or {},
        "what_changed": page_queries.what_changed(incident),
        "alert_links": page_queries.alert_links(incident),
        "audiences": _update_blocks(request, incident, bound),
        "transitions": page_queries.transitions(incident),
        "transition_form": bound.get("transition_form") or TransitionForm(),
        "note_form": bound.get("note_form") or NoteForm(),
        "notes": page_queries.notes(entries),
        "metrics": page_queries.metrics(incident),
        "postmortem_id": page_queries.postmortem_id(incident),
        "can_write": can_write(user),
        "timeline": entries,
    }


@require_http_methods(["GET", "POST"])
@staff_page
def incident_new(request: HttpRequest) -> HttpResponse:
    """Declare an incident by hand."""
    user: Any = request.user
    require_write(user)
    choices: dict[str, Any] = {
        "services": page_queries.visible_services(user), "sites": page_queries.visible_sites(user),
        "staff": page_queries.staff_users(user), "time_zone": viewer_zone(user),
    }
    status = 200
    if request.method == "POST":
        form = DeclareForm(request.POST, **choices)
        done = submit_form(
            request, form, lambda f: services.declare_incident(f.to_data(), actor=user),
            success=lambda i: f"INC-{i.pk} declared. Acknowledge it and name the roles.",
            redirect_to=lambda i: detail_url(i.pk), refused=errors_on_fields,
        )
        if done is not None:
            return done
        status = 400
    else:
        form = DeclareForm(**choices)
    return render(request, "incidents/declare.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_page
def incident_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Change title, severity, summary, services and sites; impact and what changed are recomputed."""
    user: Any = request.user
    require_write(user)
    incident = queries.get_incident(user, incident_id)
    choices: dict[str, Any] = {"services": page_queries.visible_services(user), "sites": page_queries.visible_sites(user)}
    status = 200
    if request.method == "POST":
        form = EditForm(request.POST, **choices)
        done = submit_form(
            request, form, lambda f: services.update_incident(incident, f.to_data(), actor=user),
            success=f"INC-{incident.pk} updated.", redirect_to=detail_url(incident.pk), refused=errors_on_fields,
        )
        if done is not None:
            return done
        status = 400
    else:
        form = EditForm(initial=EditForm.initial_for(incident), **choices)
    return render(request, "incidents/edit.html", {"form": form, "incident": incident}, status=status)
