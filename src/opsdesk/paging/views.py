"""Paging pages: policies, my paging settings, an incident's escalation, one-click action links."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.core.errors import DomainError
from opsdesk.core.views import errors_on_fields, staff_page

from . import contacts, links, policies, queries, services
from .forms import ContactMethodForm, PolicyForm, ProfileForm, RuleForm, format_steps

WRITE = "integrations.write"
VERBS = {"acknowledge": "acknowledge", "escalate": "escalate (page the next step now)"}


def _may_write(user: Any) -> bool:
    return bool(user.has_perm_code(WRITE))


@staff_page
def policy_list(request: HttpRequest) -> HttpResponse:
    """Escalation policies with their steps."""
    return render(request, "paging/policy_list.html", {
        "policies": queries.list_policies(request.user), "can_write": _may_write(request.user)})


@require_http_methods(["GET", "POST"])
@staff_page
def policy_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or edit a policy (steps one a line)."""
    policy = queries.get_policy(request.user, pk) if pk else None
    if not _may_write(request.user):
        raise PermissionDenied("Your role may not manage escalation policies.")
    initial: dict[str, Any] = {}
    if policy is not None:
        initial = {"name": policy.name, "description": policy.description, "repeat": policy.repeat,
                   "is_default": policy.is_default, "steps": format_steps(policy), **policy.severity_rules}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actor = cast(User, request.user)
        try:
            if policy is None:
                policy = policies.create_policy(form.to_data(), actor=actor)
            else:
                policies.update_policy(policy, form.to_data(), actor=actor)
        except DomainError as exc:
            errors_on_fields(form, exc)
        else:
            messages.success(request, f"Escalation policy {policy.name} saved.")
            return HttpResponseRedirect(reverse("paging:policies"))
    return render(request, "paging/policy_form.html", {"form": form, "policy": policy},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_page
def my_paging(request: HttpRequest) -> HttpResponse:
    """My contact methods, notification rules and quiet hours."""
    person = request.user
    methods = list(queries.list_contact_methods(person))
    profile = queries.get_profile(person)
    method_form = ContactMethodForm(prefix="m")
    rule_form = RuleForm(prefix="r", methods=methods)
    profile_form = ProfileForm(prefix="p", initial={"time_zone": profile.time_zone, "quiet_start": profile.quiet_start,
                                                    "quiet_end": profile.quiet_end})
    if request.method == "POST":
        which = request.POST.get("form")
        form: Any = {"method": ContactMethodForm(request.POST, prefix="m"),
                     "rule": RuleForm(request.POST, prefix="r", methods=methods),
                     "profile": ProfileForm(request.POST, prefix="p")}.get(str(which))
        if form is not None and form.is_valid():
            try:
                if which == "method":
                    contacts.add_contact_method(person, form.cleaned_data)
                elif which == "rule":
                    contacts.add_rule(person, form.cleaned_data)
                else:
                    contacts.set_profile(person, form.cleaned_data)
            except DomainError as exc:
                errors_on_fields(form, exc)
            else:
                messages.success(request, "Paging settings saved.")
                return HttpResponseRedirect(reverse("paging:me"))
        if form is not None:
            method_form, rule_form, profile_form = (
                form if which == "method" else method_form, form if which == "rule" else rule_form,
                form if which == "profile" else profile_form)
    return render(request, "paging/me.html", {
        "methods": methods, "rules": queries.list_rules(person), "profile": profile,
        "method_form": method_form, "rule_form": rule_form, "profile_form": profile_form})


@staff_page
def incident_escalation(request: HttpRequest, pk: int) -> HttpResponse:
    """An incident's escalation: the steps taken and due, with acknowledge and escalate buttons."""
    incident = queries.get_incident(request.user, pk)
    return render(request, "paging/incident.html", {
        "incident": incident, "status": queries.escalation_status(request.user, incident)})


@require_POST
@staff_page
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge or escalate from the escalation page."""
    incident = queries.get_incident(request.user, pk)
    actor = cast(User, request.user)
    try:
        if action == "acknowledge":
            services.acknowledge(incident, actor=actor, reason="acknowledged on the escalation page")
        else:
            services.escalate_now(incident, actor=actor)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Acknowledged: the escalation stopped." if action == "acknowledge"
                         else "Escalated: the next step ran.")
    return HttpResponseRedirect(reverse("paging:incident", args=[pk]))


@require_http_methods(["GET", "POST"])
def action_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-click link: GET shows what it will do (one button); the POST does it, once. No login."""
    try:
        if request.method == "POST":
            link = links.use_link(token)
            done = True
        else:
            link = links.read_link(token)
            done = False
    except links.LinkUsed as exc:
        return render(request, "paging/link_error.html", {"detail": exc.detail}, status=409)
    except links.LinkRefused as exc:
        return render(request, "paging/link_error.html", {"detail": exc.detail}, status=400)
    except DomainError as exc:
        return render(request, "paging/link_error.html", {"detail": exc.detail}, status=409)
    row = link.token
    if row.action in ("open", "resolve"):
        return HttpResponseRedirect(reverse("incidents:detail", args=[row.incident_id]))
    return render(request, "paging/link.html", {
        "row": row, "verb": VERBS[row.action], "done": done, "status": row.incident.get_state_display()})
