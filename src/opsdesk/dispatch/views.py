"""Dispatch pages: the board of a region's day (build, check, move, accept) and an engineer's calendar feed.

Staff only (client users are answered 404). Every change goes through dispatch.services; a
refusal (DomainError) is shown on the page, never a 500. The forms work without JS; board.js
only adds drag-and-drop, which fills and submits the same "Check" form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from opsdesk.accounts import queries as account_queries
from opsdesk.accounts import services as account_services
from opsdesk.accounts.services import authenticate_token
from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.errors import Conflict, DomainError
from opsdesk.core.throttle import Throttled
from opsdesk.core.views import staff_page
from opsdesk.people import queries as people_queries
from opsdesk.people import services as people_services
from opsdesk.sites.models import Region
from opsdesk.workorders import eligibility

from . import feeds, page_queries, queries, services
from .models import Plan

FEED_SCOPES = frozenset({"calendar", "read"})
ICS = "text/calendar; charset=utf-8"
FEED_DAYS_BACK = 7


def _zone_param(request: HttpRequest) -> str:
    return (request.GET.get("zone") or request.POST.get("zone") or "").strip()


def _board_url(region: Region, day: dt.date, plan: Plan | None = None, anchor: str = "", *, zone: str = "") -> str:
    params = {"region": region.code, "day": day.isoformat()}
    if plan is not None:
        params["plan"] = str(plan.pk)
    if zone:
        params["zone"] = zone
    return reverse("dispatch:board") + "?" + urlencode(params) + anchor


def _region(value: str | None) -> Region | None:
    if value and value.strip():
        return queries.get_region(value)  # NotFound -> 404
    return page_queries.default_region()


def _context(
    request: HttpRequest, region: Region | None, day: dt.date | None, plan: Plan | None = None, *,
    preview: Plan | None = None, verdict: list[Any] | None = None, move: dict[str, Any] | None = None,
    refused: DomainError | None = None,
) -> dict[str, Any]:
    """Everything the board shows for the region's day and one of its plans (or a preview of a move)."""
    if region is None:
        return {"regions": [], "region": None}
    zone = page_queries.zone_of(region, _zone_param(request))
    day = day or page_queries.default_day(zone)
    plans = page_queries.plans_of_day(request.user, region, day)
    plan = plan or page_queries.latest_plan(plans)
    shown = preview or plan
    board = page_queries.board(shown, zone) if shown is not None else None
    engineers = page_queries.region_engineers(region)
    return {
        "regions": page_queries.regions(), "region": region, "day": day, "zone": zone, "zones": page_queries.zones_of(region),
        "zone_offset": page_queries.Axis(day, zone).start.strftime("%z"),
        "plans": plans, "plan": plan, "older": [p for p in plans if plan is None or p.pk != plan.pk],
        "board": board, "preview": preview is not None, "move": move or {}, "refused": refused,
        "engineers": engineers, "can_dispatch": services.can_dispatch(request.user),
        "can_accept": plan is not None and preview is None and plan.state == Plan.State.PROPOSED and not plan.violations,
        "adjustable": plan is not None and plan.state == Plan.State.PROPOSED,
        "feed_url": request.session.pop("dispatch_feed_url", None),
        "feed_engineer": request.session.pop("dispatch_feed_engineer", None),
        "verdict_ok": verdict is not None and not verdict,
    }


@require_GET
@staff_page
def board(request: HttpRequest) -> HttpResponse:
    """The board of a region's day: the accepted plan, else the newest proposed one (or ?plan=<id>)."""
    plan_id = request.GET.get("plan", "").strip()
    if plan_id.isdigit():
        plan = queries.get_plan(request.user, int(plan_id))
        return render(request, "dispatch/board.html", _context(request, plan.region, plan.day, plan))
    region = _region(request.GET.get("region"))
    day = page_queries.parse_day(request.GET.get("day"), page_queries.zone_of(region)) if region else None
    return render(request, "dispatch/board.html", _context(request, region, day))


@require_POST
@staff_page
def build(request: HttpRequest) -> HttpResponse:
    """Build (or re-plan) the region's day through the solver."""
    region = _region(request.POST.get("region"))
    if region is None:
        raise Http404("No region.")
    day = page_queries.parse_day(request.POST.get("day"), page_queries.zone_of(region))
    try:
        plan = services.propose_plan(region.pk, day, actor=signed_in(request.user), fresh=request.POST.get("fresh") == "1")
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(_board_url(region, day, zone=_zone_param(request)))
    verdict = "the checker finds no violations" if not plan.violations else f"the checker reports {len(plan.violations)} violation(s)"
    messages.success(request, f"Plan {plan.pk} proposed: {plan.stops.count()} visits, {len(plan.unassigned)} unassigned; {verdict}.")
    return HttpResponseRedirect(_board_url(region, day, plan, zone=_zone_param(request)))


@require_POST
@staff_page
def accept(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Accept a proposed plan: each visit is scheduled, dispatched and handed to its engineer."""
    plan = queries.get_plan(request.user, plan_id)
    try:
        plan = services.accept_plan(plan, actor=signed_in(request.user))
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(_board_url(plan.region, plan.day, plan, zone=_zone_param(request)))
    messages.success(request, f"Plan {plan.pk} accepted: its visits are dispatched to the engineers.")
    return HttpResponseRedirect(_board_url(plan.region, plan.day, plan, zone=_zone_param(request)))


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


@require_POST
@staff_page
def move(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Move a stop (or unassigned work) to an engineer, or out of the plan (no engineer).

    action=check: the board again with the plan as it would be and the checker's verdict (nothing saved);
    action=move: saved, unless the checker refuses (then the board with the violations, 409)."""
    plan = queries.get_plan(request.user, plan_id)
    work_order = _int(request.POST.get("work_order"))
    engineer = _int(request.POST.get("engineer"))
    position = _int(request.POST.get("position"))
    dry_run = request.POST.get("action") != "move"
    chosen = {"work_order": work_order, "engineer": engineer, "position": position}
    if work_order is None:
        messages.error(request, "Say which work order to move.")
        return HttpResponseRedirect(_board_url(plan.region, plan.day, plan, zone=_zone_param(request)))
    try:
        changed, violations = services.move_stop(
            plan, work_order, engineer, position=position, dry_run=dry_run, actor=signed_in(request.user),
        )
    except Conflict as exc:
        context = _context(request, plan.region, plan.day, plan, move=chosen, refused=exc)
        return render(request, "dispatch/board.html", context, status=409)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(_board_url(plan.region, plan.day, plan, zone=_zone_param(request)))
    if dry_run:
        context = _context(request, plan.region, plan.day, plan, preview=changed, verdict=violations, move=chosen)
        return render(request, "dispatch/board.html", context)
    where = "out of the plan" if engineer is None else "to " + next(
        (e["name"] for e in changed.engineers if e["engineer"] == engineer), f"engineer {engineer}")
    messages.success(request, f"WO-{work_order} moved {where}.")
    return HttpResponseRedirect(_board_url(plan.region, plan.day, changed, zone=_zone_param(request)))


def _local_time(day: dt.date, text: str | None, zone: str, default: dt.time | None) -> dt.datetime | None:
    """HH:MM on `day` in `zone` ("24:00": the next midnight), or the default; None when unreadable."""
    value = (text or "").strip()
    tz = eligibility.zone(zone)
    if not value:
        return dt.datetime.combine(day, default, tzinfo=tz) if default is not None else None
    if value == "24:00":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    try:
        return dt.datetime.combine(day, dt.time.fromisoformat(value), tzinfo=tz)
    except ValueError:
        return None


@require_POST
@staff_page
def unavailable(request: HttpRequest, engineer_id: int) -> HttpResponse:
    """Record that an engineer is away for part of the board's day (people.services.record_absence);
    the next re-plan moves their visits that are not yet under way."""
    engineer = people_queries.get_engineer(request.user, engineer_id)
    region = _region(request.POST.get("region")) or engineer.home_region
    zone = page_queries.zone_of(region, _zone_param(request))
    day = page_queries.parse_day(request.POST.get("day"), zone)
    start = _local_time(day, request.POST.get("from"), zone, dt.time())
    end = _local_time(day, request.POST.get("until"), zone, None) or dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(), tzinfo=eligibility.zone(zone))
    back = _board_url(region, day, zone=_zone_param(request))
    if start is None:
        messages.error(request, "Give the time the absence starts as HH:MM.")
        return HttpResponseRedirect(back)
    try:
        people_services.record_absence(
            engineer, {"start_at": start, "end_at": end, "reason": request.POST.get("reason", "")[:200]}, actor=signed_in(request.user),
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(back)
    messages.success(request, f"{engineer.name} is away {start:%H:%M}–{end:%H:%M} {zone}. Re-plan to move their visits.")
    return HttpResponseRedirect(back)


# -- the engineer's calendar --------------------------------------------------------------------


def _feed_user(request: HttpRequest) -> Any:
    """The signed-in staff user, else the staff user behind ?token= with the calendar (or read) scope."""
    user: Any = request.user
    if not user.is_authenticated:
        raw = request.GET.get("token", "").strip()
        user = authenticate_token(raw, request) if raw else None
        if user is None or not FEED_SCOPES & set(getattr(user, "token_scopes", ())):
            return None
    return user


@require_GET
def schedule_ics(request: HttpRequest, engineer_id: int) -> HttpResponse:
    """The engineer's visits in accepted plans from a week ago on, as iCalendar."""
    try:
        user = _feed_user(request)
    except Throttled as exc:
        refused = HttpResponse(exc.detail + "\n", status=429, content_type="text/plain; charset=utf-8")
        refused["Retry-After"] = str(exc.retry_after)
        return refused
    if user is None:
        response = HttpResponse(
            "Sign in, or add ?token=<API token with the 'calendar' scope> to the feed URL.\n",
            status=401, content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="opsdesk"'
        return response
    if getattr(user, "is_client_user", False):
        raise Http404("No such page.")
    engineer = people_queries.get_engineer(user, engineer_id)  # NotFound -> 404
    now = clock.now()
    stops = queries.engineer_stops(engineer, now - dt.timedelta(days=FEED_DAYS_BACK))
    body = feeds.engineer_calendar(
        stops, name=f"{engineer.name} · dispatch schedule", base_url=request.build_absolute_uri("/"), stamp=now,
    )
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="engineer-{engineer.pk}-schedule.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_POST
@staff_page
def schedule_link(request: HttpRequest, engineer_id: int) -> HttpResponse:
    """Issue a calendar-only token and show the engineer's subscription URL once."""
    engineer = people_queries.get_engineer(request.user, engineer_id)
    me = account_queries.get_user(request.user, int(request.user.pk or 0))
    _, raw = account_services.create_token(me, scopes=["calendar"], name=f"schedule feed of {engineer.name}", actor=me)
    path = reverse("dispatch:schedule-ics", args=[engineer.pk]) + "?" + urlencode({"token": raw})
    request.session["dispatch_feed_url"] = request.build_absolute_uri(path)
    request.session["dispatch_feed_engineer"] = engineer.name
    board_path = reverse("dispatch:board")
    back = request.POST.get("next", "")
    if not (back == board_path or back.startswith(board_path + "?")):
        back = board_path
    return HttpResponseRedirect(back + "#subscribe")
