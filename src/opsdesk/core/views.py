"""Shared page plumbing (404 for hidden objects, staff-only pages, paging, form actions) and the
core pages."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import audit, notify, timeline
from .errors import DomainError, NotFound, PermissionDenied

PER_PAGE = 50
View = TypeVar("View", bound=Callable[..., HttpResponse])
Form = TypeVar("Form", bound=forms.Form)
Result = TypeVar("Result")


def page_view(view: View) -> View:
    """login_required, plus NotFound from queries (hidden or missing objects) becomes 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.detail) from exc

    return login_required(wrapper)  # type: ignore[return-value]


def staff_page(view: View) -> View:
    """A page_view that client users are answered 404 for, as if it did not exist."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "is_client_user", False):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return page_view(wrapper)  # type: ignore[return-value]


def paginate(request: HttpRequest, items: Any, per_page: int = PER_PAGE) -> Page[Any]:
    """The requested page of `items` (out-of-range numbers give the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def int_param(request: HttpRequest, name: str) -> int | None:
    """A positive integer query parameter, or None when absent or malformed."""
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def list_template(request: HttpRequest, full: str, rows: str) -> str:
    """The rows partial for an htmx filter request, else the whole page."""
    return rows if getattr(request, "htmx", False) and not request.htmx.boosted else full  # type: ignore[attr-defined]


# -- form actions: parse a POSTed form, call one service, say what happened ------------------------


def run_action(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run one service call; a refusal becomes the service's message on the page, never a 500."""
    try:
        action()
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            audit.audit_denied_write(request, exc.detail)
        messages.error(request, exc.detail)
        return False
    messages.success(request, success)
    return True


def form_action(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    *,
    success: str | Callable[[dict[str, Any]], str],
    invalid: str,
    redirect_to: str,
    invalid_to: str | Callable[[], HttpResponse] | None = None,
    refused_to: str | None = None,
) -> HttpResponse:
    """A POSTed form that calls one service with its cleaned data, then goes back to a page.

    Every outcome is a message: `invalid` for an invalid form, the refusal's detail, or `success`
    (text, or made from the cleaned data). Then a redirect to `redirect_to`; an invalid form goes
    to `invalid_to` instead when given (a URL, or a response of its own such as the page again
    with the form's errors), a refused call to `refused_to`.
    """
    if not form.is_valid():
        messages.error(request, invalid)
        if callable(invalid_to):
            return invalid_to()
        return HttpResponseRedirect(invalid_to or redirect_to)
    data = form.cleaned_data
    message = success(data) if callable(success) else success
    if run_action(request, lambda: action(data), message):
        return HttpResponseRedirect(redirect_to)
    return HttpResponseRedirect(redirect_to if refused_to is None else refused_to)


def error_on_form(form: forms.Form, exc: DomainError) -> None:
    """A refusal's detail at the top of the form."""
    form.add_error(None, exc.detail)


def errors_on_fields(
    form: forms.Form, exc: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """A refusal's reasons on the fields they name (`aliases` maps service names to form fields),
    else its detail at the top of the form."""
    placed = False
    for error in exc.errors:
        name = str(error.get("field", "")).split(".")[0]
        name = (aliases or {}).get(name, name)
        if name in form.fields:
            form.add_error(name, str(error.get("message", exc.detail)))
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


def submit_form(
    request: HttpRequest,
    form: Form,
    action: Callable[[Form], Result],
    *,
    success: str | Callable[[Result], str],
    redirect_to: str | Callable[[Result], str],
    refused: Callable[[Form, DomainError], None] = error_on_form,
) -> HttpResponse | None:
    """The POST of a form page: one service call with the valid form, then `success` as a message
    and a redirect. None when the form is invalid or the call was refused (`refused` puts the
    reasons on the form): the caller shows the page again with the form's errors."""
    if not form.is_valid():
        return None
    try:
        result = action(form)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            audit.audit_denied_write(request, exc.detail)
        refused(form, exc)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return HttpResponseRedirect(redirect_to(result) if callable(redirect_to) else redirect_to)


@require_GET
@page_view
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: role, what they can see, recent notifications."""
    recent = notify.list_notifications(request.user)[:5]
    return render(request, "opsdesk/home.html", {"notifications": recent})


@require_GET
@page_view
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; unread ones stand out."""
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, notify.list_notifications(request.user, unread_only=unread_only))
    return render(request, "opsdesk/inbox.html", {"page": page, "unread_only": unread_only})


@require_POST
@page_view
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them read, then go back to the inbox."""
    raw = request.POST.get("id", "").strip()
    notify.mark_read(request.user, [int(raw)] if raw.isdigit() else None)
    return HttpResponseRedirect(reverse("inbox"))


def object_timeline(request: HttpRequest, obj: Any) -> Any:
    """The object's timeline as this user may read it (client users: client-visible entries)."""
    return timeline.for_reader(obj, request.user)


def _instant(raw: str) -> dt.datetime | None:
    """An ISO date or date-time from a filter, as UTC (naive values are UTC); None if absent."""
    value = dt.datetime.fromisoformat(raw.strip()) if raw.strip() else None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


@require_GET
@page_view
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log with filters (action, actor, since/until); administrators only (else 404)."""
    filters = {k: request.GET.get(k, "").strip()[:150] for k in ("action", "actor", "since", "until")}
    invalid = ""
    try:
        since, until = _instant(filters["since"]), _instant(filters["until"])
    except ValueError:
        since = until = None
        invalid = "Since and until are dates or date-times (YYYY-MM-DDTHH:MM)."
    events = audit.list_events(
        request.user, action=filters["action"] or None, actor=filters["actor"] or None, since=since, until=until,
    )
    context = {"page": paginate(request, events), "filters": filters, "actions": sorted(audit.ACTIONS.items()), "invalid": invalid}
    return render(request, "opsdesk/audit.html", context)
