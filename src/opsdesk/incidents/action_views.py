"""The incident page's actions: transitions, roles, owner, audience updates, notes and the change
link. Each POST calls one service; a refusal or bad input shows the page again with the form's
errors (400), never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from opsdesk.core.actors import signed_in
from opsdesk.core.views import errors_on_fields, form_action, run_action, staff_page, submit_form

from . import page_queries, queries, roles, services, updates
from .forms import LinkChangeForm, NoteForm, OwnerForm, RoleForm, TransitionForm, UpdateForm
from .models import Audience, Incident, IncidentRole
from .views import detail_context, detail_url, require_write, viewer_zone


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    require_write(request.user)
    return queries.get_incident(request.user, incident_id)


def _act(
    request: HttpRequest, incident: Incident, name: str, form: forms.Form, action: Callable[[Any], object],
    success: str | Callable[[Any], str], anchor: str,
) -> HttpResponse:
    """Call the service with the valid form and go back to the section; else the page with the errors."""
    done = submit_form(request, form, action, success=success, redirect_to=detail_url(incident.pk, anchor),
                       refused=errors_on_fields)
    if done is not None:
        return done
    problems = "; ".join(str(e) for e in form.non_field_errors()) or "check the highlighted fields"
    messages.error(request, f"Not saved: {problems}.")
    return render(request, "incidents/detail.html", detail_context(request, incident, **{name: form}), status=400)


@require_POST
@staff_page
def transition(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Move the incident to another state (POST: to, reason; resolving and closing need the reason)."""
    incident = _incident(request, incident_id)
    form = TransitionForm(request.POST)
    return _act(
        request, incident, "transition_form", form,
        lambda f: services.transition_incident(incident, f.cleaned_data["to"], actor=signed_in(request.user),
                                               reason=f.cleaned_data["reason"]),
        success=lambda i: f"INC-{i.pk} is now {i.get_state_display().lower()}.", anchor="",
    )


def _role(role: str) -> str:
    if role not in IncidentRole.Role.values:
        raise Http404("No such role.")
    return role


@require_POST
@staff_page
def assign_role(request: HttpRequest, incident_id: int, role: str) -> HttpResponse:
    """Give a role to a person; they are notified and acknowledge it."""
    incident = _incident(request, incident_id)
    role = _role(role)
    form = RoleForm(request.POST, staff=page_queries.staff_users(request.user), prefix=role)
    return _act(
        request, incident, f"role_{role}", form,
        lambda f: roles.assign_role(incident, role, f.cleaned_data["user"].pk, actor=signed_in(request.user),
                                    note=f.cleaned_data["note"]),
        success=lambda r: f"{r.get_role_display()}: {r.user.get_full_name() or r.user.username}, "
                          "awaiting their acknowledgement.",
        anchor="#roles",
    )


@require_POST
@staff_page
def acknowledge_role(request: HttpRequest, incident_id: int, role: str) -> HttpResponse:
    """The holder acknowledges the role they were given."""
    incident = _incident(request, incident_id)
    role = _role(role)
    run_action(request, lambda: roles.acknowledge_role(incident, role, actor=signed_in(request.user)), "Role acknowledged.")
    return HttpResponseRedirect(detail_url(incident.pk, "#roles"))


@require_POST
@staff_page
def set_owner(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Hand the incident to another owner."""
    incident = _incident(request, incident_id)
    form = OwnerForm(request.POST, staff=page_queries.staff_users(request.user))
    return _act(
        request, incident, "owner_form", form,
        lambda f: services.set_owner(incident, f.cleaned_data["owner"].pk, actor=signed_in(request.user),
                                     note=f.cleaned_data["note"]),
        success="Owner changed; they have been told.", anchor="",
    )


@require_POST
@staff_page
def post_update(request: HttpRequest, incident_id: int, audience: str) -> HttpResponse:
    """Post a status update to one audience (client and end-user updates show in the client portal)."""
    incident = _incident(request, incident_id)
    if audience not in Audience.values:
        raise Http404("No such audience.")
    form = UpdateForm(request.POST, audience=audience, time_zone=viewer_zone(request.user))
    label = Audience(audience).label
    return _act(
        request, incident, f"update_{audience}", form,
        lambda f: updates.post_update(incident, f.to_data(), actor=signed_in(request.user)),
        success=f"Update posted for {label.lower()}.", anchor=f"#update-{audience}",
    )


@require_POST
@staff_page
def add_note(request: HttpRequest, incident_id: int) -> HttpResponse:
    """A responder's note on the timeline."""
    incident = _incident(request, incident_id)
    form = NoteForm(request.POST)
    return _act(
        request, incident, "note_form", form,
        lambda f: services.add_note(incident, f.cleaned_data["text"], actor=signed_in(request.user)),
        success="Note added.", anchor="#notes",
    )


@require_POST
@staff_page
def link_change(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Link a change from "what changed" as the cause (one click)."""
    incident = _incident(request, incident_id)
    return form_action(
        request, LinkChangeForm(request.POST),
        lambda d: services.link_change(incident, page_queries.get_change(request.user, d["change"]),
                                       actor=signed_in(request.user)),
        success=lambda d: f"CHG-{d['change']} linked as the cause of INC-{incident.pk}.",
        invalid="Choose the change to link.",
        redirect_to=detail_url(incident.pk, "#what-changed"),
    )
