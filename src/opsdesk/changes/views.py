"""Change pages: list, detail with its actions, create/edit form, and the week calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts import queries as account_queries
from opsdesk.accounts import services as account_services
from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.core.views import (
    errors_on_fields,
    form_action,
    int_param,
    list_template,
    object_timeline,
    page_view,
    paginate,
    submit_form,
)
from opsdesk.services import readers

from . import client_view, page_queries, queries, services
from .forms import ChangeForm, DecisionForm, ReviewForm, TransitionForm
from .models import Approval, ChangeRequest
from .rules import MACHINE, OUTCOMES_FOR
from .windows import queries as window_queries

DECIDABLE_STATES = ("submitted", "assessing")
EDITABLE_STATES = ("draft", "submitted", "assessing", "rejected")


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The list and calendar filters from the query string."""
    return {
        "state": request.GET.get("state", "").strip() or None,
        "type": request.GET.get("type", "").strip() or None,
        "risk": request.GET.get("risk", "").strip() or None,
        "region": request.GET.get("region", "").strip() or None,
        "site": int_param(request, "site"),
        "client": int_param(request, "client"),
    }


@require_GET
@page_view
def change_list(request: HttpRequest) -> HttpResponse:
    """Changes the user may see, soonest window first, filtered by state, type, risk and place."""
    filters = _filters(request)
    page = paginate(request, page_queries.list_changes(request.user, filters))
    page.object_list = client_view.for_readers(page.object_list, request.user)
    context = {"page": page, "filters": filters, **page_queries.filter_options(request.user)}
    template = list_template(request, "changes/change_list.html", "changes/partials/change_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    """One change: its window everywhere it applies, plans, risk, approvals, checks and actions."""
    context = _detail_context(request, change_id)
    return render(request, "changes/change_detail.html", context)


def _form_page(request: HttpRequest, change: Any | None) -> HttpResponse:
    """Show the form; on a valid POST create or update through the services, else show errors."""
    if request.method == "POST":
        form = ChangeForm(request.POST, user=request.user)
        done = submit_form(
            request, form, lambda f: _save(request.user, change, f.to_data()),
            success=lambda saved: f"CHG-{saved.pk} {'updated' if change else 'created'}.",
            redirect_to=lambda saved: reverse("changes:detail", args=[saved.pk]),
            refused=_domain_errors_on_form,
        )
        if done is not None:
            return done
    else:
        initial = ChangeForm.initial_for(change) if change else {}
        form = ChangeForm(initial=initial, user=request.user)
    return render(request, "changes/change_form.html", {"form": form, "change": change})


def _domain_errors_on_form(form: ChangeForm, exc: DomainError) -> None:
    """Put a refused request's reasons on the form: on the named fields, else at the top."""
    errors_on_fields(form, exc, aliases={"rollback_plan": "rollback_steps"})


@require_http_methods(["GET", "POST"])
@page_view
def change_new(request: HttpRequest) -> HttpResponse:
    """Create a change request."""
    _require_write(request.user)
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@page_view
def change_edit(request: HttpRequest, change_id: int) -> HttpResponse:
    """Edit a change request."""
    _require_write(request.user)
    return _form_page(request, _get(request.user, change_id))


def _detail_url(change_id: int, anchor: str = "") -> str:
    return reverse("changes:detail", args=[change_id]) + anchor


@require_POST
@page_view
def change_transition(request: HttpRequest, change_id: int) -> HttpResponse:
    """Move the change to another state (POST: to, reason)."""
    change = _get(request.user, change_id)
    return form_action(
        request, TransitionForm(request.POST),
        lambda d: _transition(request.user, change, d["to"], d["reason"]),
        success=lambda d: f"CHG-{change.pk} is now {d['to'].replace('_', ' ')}.",
        invalid="Choose a state to move the change to.",
        redirect_to=_detail_url(change.pk),
    )


@require_POST
@page_view
def change_decide(request: HttpRequest, change_id: int) -> HttpResponse:
    """Approve or reject the change in one capacity."""
    change = _get(request.user, change_id)
    return form_action(
        request, DecisionForm(request.POST),
        lambda d: _decide(request.user, change, d["decision"], d["capacity"], d["comment"]),
        success=f"Your decision on CHG-{change.pk} is recorded.",
        invalid="Choose a decision and a capacity.",
        redirect_to=_detail_url(change.pk, "#approvals"),
    )


@require_POST
@page_view
def change_review(request: HttpRequest, change_id: int) -> HttpResponse:
    """Record the post-implementation review."""
    change = _get(request.user, change_id)
    return form_action(
        request, ReviewForm(request.POST),
        lambda d: _review(request.user, change, d),
        success=f"Review of CHG-{change.pk} recorded.",
        invalid="Choose the outcome of the change.",
        redirect_to=_detail_url(change.pk),
        invalid_to=_detail_url(change.pk, "#review"),
    )


@require_GET
@page_view
def calendar(request: HttpRequest) -> HttpResponse:
    """The week of changes in the viewer's zone, with site-local times and the site's freezes."""
    zone_name = getattr(request.user, "time_zone", "") or "UTC"
    today = clock.now().astimezone(page_queries.zone_of(zone_name)).date()
    monday = page_queries.parse_week(request.GET.get("week"), today)
    filters = {k: v for k, v in _filters(request).items() if k in ("region", "site", "client")}
    site = page_queries.get_site(request.user, filters["site"]) if filters["site"] else None
    bands = _freeze_bands(site, monday, zone_name) if site else []
    days = page_queries.calendar_week(request.user, monday, zone_name, filters, today=today, bands=bands)
    context = {
        "days": days,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "prev_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": page_queries.week_monday(today),
        "zone": zone_name,
        "hours": range(24),
        "filters": filters,
        "site": site,
        "feed": _feed_query(filters, request.user),
        "feed_url": request.session.pop("calendar_feed_url", None),
        "count": len({i.change.pk for d in days for i in d.items}),
        **page_queries.filter_options(request.user),
    }
    return render(request, "changes/calendar.html", context)


@require_POST
@page_view
def calendar_link(request: HttpRequest) -> HttpResponse:
    """Issue a calendar-only token and show its subscription URL once."""
    site, client = request.POST.get("site", ""), request.POST.get("client", "")
    if not _feed_query({"site": site, "client": client}, request.user):
        messages.error(request, "Choose a site or a client first: a feed covers one of them.")
    else:
        request.session["calendar_feed_url"] = _calendar_feed_url(request, site=site, client=client)
    query = "&".join(p for p in (f"site={site}" if site.isdigit() else "", f"client={client}" if client.isdigit() else "") if p)
    week = request.POST.get("week", "")
    if week:
        query = "&".join(p for p in (query, f"week={week}") if p)
    return HttpResponseRedirect(reverse("changes:calendar") + (f"?{query}" if query else "") + "#subscribe")


# -- calls into the lifecycle and windows modules -------------------------------------------------


def _get(user: Any, change_id: int) -> ChangeRequest:
    """The change if the user may see it, else NotFound (404)."""
    return queries.get_change(user, change_id)


def _require_write(user: Any) -> None:
    """Client users never edit changes (404 as if the page did not exist); others need changes.write."""
    if getattr(user, "is_client_user", False):
        raise Http404("No such page.")
    if not user.has_perm_code("changes.write"):
        raise PermissionDenied("Your role may not create or edit changes.")


def _save(user: Any, change: ChangeRequest | None, data: dict[str, Any]) -> ChangeRequest:
    if change is None:
        return services.create_change(data, actor=user)
    return services.update_change(change, data, actor=user)


def _transition(user: Any, change: ChangeRequest, to: str, reason: str) -> None:
    services.transition_change(change, to, actor=user, reason=reason)


def _decide(user: Any, change: ChangeRequest, decision: str, capacity: str, comment: str) -> None:
    services.decide(change, user, capacity=capacity, decision=decision, comment=comment)


def _review(user: Any, change: ChangeRequest, data: dict[str, Any]) -> None:
    services.record_review(
        change, outcome=data["outcome"], caused_incident=data["caused_incident"], lessons=data["lessons"], actor=user
    )


def _freeze_bands(site: Any, monday: dt.date, zone: str) -> list[tuple[str, str, dt.datetime, dt.datetime, str]]:
    """The site's window and freeze occurrences in the viewer's week, as calendar bands."""
    start, end = page_queries.week_bounds(monday, zone)
    return [
        (o.rule.name, o.rule.kind, o.start, o.end, o.time_zone)
        for o in window_queries.occurrences_for_site(site, start, end)
    ]


def _feed_query(filters: dict[str, Any], user: Any) -> dict[str, str]:
    """The feed covers one site or one client (a client user's own by default); empty: choose one."""
    site, client = str(filters.get("site") or ""), str(filters.get("client") or "")
    if site.isdigit():
        return {"site": site}
    if client.isdigit():
        return {"client": client}
    if getattr(user, "is_client_user", False) and user.client_id:
        return {"client": str(user.client_id)}
    return {}


def _calendar_feed_url(request: HttpRequest, *, site: str, client: str) -> str:
    me = account_queries.get_user(request.user, int(request.user.pk or 0))
    _, raw = account_services.create_token(me, scopes=["calendar"], name="calendar feed", actor=me)
    target = _feed_query({"site": site, "client": client}, request.user)
    params = [f"{k}={v}" for k, v in target.items()] + [f"token={raw}"]
    return request.build_absolute_uri("/api/v1/calendars/changes.ics?" + "&".join(params))


def _detail_context(request: HttpRequest, change_id: int) -> dict[str, Any]:
    user: Any = request.user
    change = _get(user, change_id)
    zone = getattr(user, "time_zone", "") or "UTC"
    can_write = not user.is_client_user and user.has_perm_code("changes.write")
    violations = queries.window_violations(change)
    capacities = _capacities(user, change, bool(violations))
    status = queries.approval_status(change, change.risk_level or "low", violations)
    shown = client_view.for_reader(change, user)
    return {
        "change": shown,
        "site_windows": page_queries.site_windows(shown),
        "viewer_window": page_queries.local_window(change.window_start, change.window_end, zone, "You"),
        "risk": shown.risk or {},
        "approvals": list(shown.approvals.all()),
        "approval_status": client_view.approval_status(status, user),
        "violations": client_view.violations(violations, user),
        "collisions": client_view.collisions(queries.collisions_for(change), user),
        "transitions": _buttons(change, status) if can_write else [],
        "review_outcomes": [
            (value, label) for value, label in ChangeRequest.Outcome.choices
            if value in OUTCOMES_FOR.get(change.state, ())
        ],
        "decision_capacities": capacities,
        "can_decide": change.state in DECIDABLE_STATES and bool(capacities) and change.owner_id != user.pk,
        "can_edit": can_write and change.state in EDITABLE_STATES,
        "can_review": can_write and change.state in ("completed", "rolled_back", "failed"),
        "can_write": can_write,
        "timeline": readers.timeline(object_timeline(request, change), user),
    }


def _capacities(user: Any, change: ChangeRequest, has_violations: bool) -> list[tuple[str, str]]:
    """The capacities this user may decide in (the services check again; this only offers them)."""
    labels = dict(Approval.Capacity.choices)
    if user.is_client_user:
        return [("client", labels["client"])] if user.has_perm_code("changes.approve_as_client") else []
    offered = ["peer"]
    if user.has_perm_code("changes.approve"):
        offered.insert(0, "change_approver")
        if change.type == "emergency" and has_violations:
            offered.append("emergency")
    return [(c, labels[c]) for c in offered]


def _buttons(change: ChangeRequest, status: Any) -> list[str]:
    """Transitions offered as buttons: approval and rejection come from decisions, review from its form."""
    offered = set(MACHINE.allowed(change.state)) - {"rejected", "reviewed"}
    if not status.complete:
        offered.discard("approved")
    return sorted(offered, key=page_queries.state_order)
