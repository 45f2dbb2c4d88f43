"""Shared page plumbing (404 for hidden objects, staff-only pages, paging) and the core pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import notify, timeline
from .errors import NotFound

PER_PAGE = 50
View = TypeVar("View", bound=Callable[..., HttpResponse])


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

    return page_view(wrapper)  # type: ignore[arg-type,return-value]


def paginate(request: HttpRequest, items: Any, per_page: int = PER_PAGE) -> Page:
    """The requested page of `items` (out-of-range numbers give the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def int_param(request: HttpRequest, name: str) -> int | None:
    """A positive integer query parameter, or None when absent or malformed."""
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def list_template(request: HttpRequest, full: str, rows: str) -> str:
    """The rows partial for an htmx filter request, else the whole page."""
    return rows if getattr(request, "htmx", False) and not request.htmx.boosted else full  # type: ignore[attr-defined]


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
    client = getattr(request.user, "is_client_user", False)
    return timeline.for_object(obj, client_visible_only=client)
