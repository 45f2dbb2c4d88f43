"""Email wording pages (staff only): every email opsdesk sends, and one email's form with its
variables, a preview with sample values, save and reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ..errors import DomainError
from ..tenancy import scope
from ..views import errors_on_fields, int_param, staff_page
from . import queries, services
from .api import WRITE
from .models import MailTemplate


class TemplateForm(forms.Form):
    """The subject and body templates of one email (whitespace kept: it is the email's)."""

    subject = forms.CharField(max_length=500, strip=False, widget=forms.TextInput(attrs={"size": 80}))
    body = forms.CharField(max_length=20000, strip=False, widget=forms.Textarea(attrs={"rows": 16, "cols": 90}))


def _clients(user: Any) -> Any:
    clients = MailTemplate._meta.get_field("client").related_model._default_manager
    return scope(clients.order_by("name"), user)


@require_GET
@staff_page
def template_list(request: HttpRequest) -> HttpResponse:
    """Every email opsdesk sends, per audience, and whether its wording is the shipped one."""
    return render(request, "mailtemplates/list.html", {"entries": queries.list_templates(request.user)})


def _current(entry: dict[str, Any], client_id: int | None) -> dict[str, Any]:
    """What applies for the chosen client (or every client): its own, the audience's, the shipped text."""
    own = next((o for o in entry["client_overrides"] if o["client"] == client_id), None) if client_id else None
    found: dict[str, Any] = own or entry["override"] or entry["default"]
    return found


@require_http_methods(["GET", "POST"])
@staff_page
def template_edit(request: HttpRequest, key: str, audience: str) -> HttpResponse:
    """One email: the form, its variables, a preview (sample values), save and reset."""
    entry = queries.get_template(request.user, key, audience)
    client_id = int_param(request, "client") if entry["per_client"] else None
    user: Any = request.user
    can_write = user.has_perm_code(WRITE)
    current = _current(entry, client_id)
    form = TemplateForm(request.POST or None, initial={"subject": current["subject"], "body": current["body"]})
    preview, status = None, 200
    action = request.POST.get("action", "preview")
    if request.method == "POST":
        if action in ("save", "reset") and not can_write:
            raise PermissionDenied("Your role may not change email wording.")
        back = reverse("mailtemplates:edit", args=[key, audience]) + (f"?client={client_id}" if client_id else "")
        try:
            if action == "reset":
                services.reset(key, audience, client_id=client_id, actor=user)
                messages.success(request, "Back to the shipped wording.")
                return HttpResponseRedirect(back)
            if form.is_valid():
                data = form.cleaned_data
                if action == "save":
                    services.set_override(key, audience, subject=data["subject"], body=data["body"],
                                          client_id=client_id, actor=user)
                    messages.success(request, "Saved: the next email uses this wording.")
                    return HttpResponseRedirect(back)
                preview = services.preview(key, audience, subject=data["subject"], body=data["body"],
                                           client_id=client_id)
        except DomainError as exc:
            errors_on_fields(form, exc)
        if form.errors:
            status = 400
    else:
        try:
            preview = services.preview(key, audience, client_id=client_id)
        except DomainError as exc:  # a stored template that no longer renders: say so, show the form
            errors_on_fields(form, exc)
    return render(request, "mailtemplates/edit.html", {
        "entry": entry, "form": form, "preview": preview, "can_write": can_write, "client_id": client_id,
        "clients": _clients(request.user) if entry["per_client"] else [],
        "stored": current is not entry["default"], "own": bool(client_id) and any(
            o["client"] == client_id for o in entry["client_overrides"]),
    }, status=status)
