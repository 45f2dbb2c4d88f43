"""On-call pages (staff only): schedules with who is on call, the week view, the editor, my shifts."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.core.views import errors_on_fields, object_timeline, staff_page

from . import queries, rules, services
from .forms import (
    LAYER_SLOTS,
    LayerForm,
    OverrideForm,
    ScheduleForm,
    layer_initial,
    schedule_initial,
)
from .models import Schedule

WRITE = "incidents.write"
WARN_AHEAD = dt.timedelta(hours=24)


def _wall(instant: dt.datetime, tz: Any) -> dt.datetime:
    """The naive local reading (templates would otherwise show aware values in UTC)."""
    return rules.local(instant, tz)


def _can_write(user: Any) -> bool:
    return bool(user.has_perm_code(WRITE))


def _require_write(user: Any) -> None:
    if not _can_write(user):
        raise PermissionDenied("Your role may not change on-call schedules.")


@staff_page
def schedule_list(request: HttpRequest) -> HttpResponse:
    """Schedules with who is on call now, the next handoff and a warning when a gap begins within 24 h."""
    now = clock.now()
    rows = []
    for schedule in queries.list_schedules(request.user, q=request.GET.get("q", "")[:100] or None):
        tz = rules.zone(schedule.time_zone)
        handoff = queries.next_handoff(schedule, now)
        gap = queries.next_gap(schedule, now, WARN_AHEAD)
        rows.append({"schedule": schedule, "people": queries.on_call(schedule, now),
                     "handoff": _wall(handoff, tz) if handoff else None,
                     "gap": rules.describe_gap(*gap, schedule.time_zone) if gap else ""})
    return render(request, "oncall/schedule_list.html", {"rows": rows, "can_write": _can_write(request.user)})


def _week_start(request: HttpRequest, tz: Any) -> dt.date:
    raw = request.GET.get("start", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    if day is None or not dt.date(2000, 1, 1) <= day <= dt.date(2200, 1, 1):
        day = clock.now().astimezone(tz).date()
    return day - dt.timedelta(days=day.weekday())


def _week(schedule: Schedule, first: dt.date) -> tuple[list[dict[str, Any]], list[str]]:
    """Seven days of shifts (local times) and the gaps of the week as findings."""
    tz = rules.zone(schedule.time_zone)
    people = queries.people_of(schedule)
    days = []
    for offset in range(7):
        day = first + dt.timedelta(days=offset)
        start = rules.to_utc(dt.datetime.combine(day, dt.time()), tz)
        end = rules.to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)
        items = [{"start": _wall(s.start, tz), "end": _wall(s.end, tz), "person": people[s.person_id],
                  "override": s.override_id, "gap": False} for s in queries.shifts(schedule, start, end)]
        items += [{"start": _wall(a, tz), "end": _wall(b, tz), "person": None, "override": None, "gap": True}
                  for a, b in queries.gaps(schedule, start, end)]
        days.append({"day": day, "items": sorted(items, key=lambda i: (i["start"], i["gap"]))})
    week_start = rules.to_utc(dt.datetime.combine(first, dt.time()), tz)
    week_end = rules.to_utc(dt.datetime.combine(first + dt.timedelta(days=7), dt.time()), tz)
    findings = [rules.describe_gap(a, b, schedule.time_zone) for a, b in queries.gaps(schedule, week_start, week_end)]
    return days, findings


def _override_form(schedule: Schedule, data: Any = None) -> OverrideForm:
    return OverrideForm(data, time_zone=schedule.time_zone, people=queries.user_choices())


@staff_page
def schedule_detail(request: HttpRequest, schedule_id: int, form: OverrideForm | None = None,
                    status: int = 200) -> HttpResponse:
    """The week view with gaps as findings, overrides with the add form, and the timeline."""
    schedule = queries.get_schedule(request.user, schedule_id)
    tz = rules.zone(schedule.time_zone)
    first = _week_start(request, tz)
    days, findings = _week(schedule, first)
    now = clock.now()
    context = {
        "schedule": schedule, "days": days, "findings": findings, "first": first,
        "prev": first - dt.timedelta(days=7), "next": first + dt.timedelta(days=7),
        "on_call": queries.on_call(schedule, now), "overrides": list(schedule.overrides.all()), "tz": tz,
        "can_write": _can_write(request.user), "timeline": object_timeline(request, schedule),
        "override_form": form or (_override_form(schedule) if _can_write(request.user) else None),
        "layers": [(layer, rules.restriction_text(layer.restrictions)) for layer in schedule.layers.all()],
    }
    return render(request, "oncall/schedule_detail.html", context, status=status)


@require_POST
@staff_page
def override_new(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """Add an override from the week view's form."""
    schedule = queries.get_schedule(request.user, schedule_id)
    _require_write(request.user)
    form = _override_form(schedule, request.POST)
    if form.is_valid():
        try:
            services.add_override(schedule, form.to_data(), cast(User, request.user))
        except DomainError as exc:
            errors_on_fields(form, exc)
        else:
            messages.success(request, "Override added.")
            return HttpResponseRedirect(reverse("oncall:detail", args=[schedule.pk]))
    return schedule_detail(request, schedule_id, form=form, status=400)


@require_POST
@staff_page
def override_delete(request: HttpRequest, schedule_id: int, override_id: int) -> HttpResponse:
    """Remove an override."""
    schedule = queries.get_schedule(request.user, schedule_id)
    override = queries.get_override(schedule, override_id)
    _require_write(request.user)
    services.delete_override(override, actor=cast(User, request.user))
    messages.success(request, "Override removed.")
    return HttpResponseRedirect(reverse("oncall:detail", args=[schedule.pk]))


def _layer_forms(request: HttpRequest, schedule: Schedule | None) -> list[LayerForm]:
    existing = list(schedule.layers.all()) if schedule else []
    count = len(existing) + LAYER_SLOTS
    if request.method == "POST":
        count = min(int(request.POST.get("layer_count", count) or count), 20) if str(
            request.POST.get("layer_count", "")).isdigit() else count
        return [LayerForm(request.POST, prefix=f"layer-{i}") for i in range(count)]
    forms = [LayerForm(prefix=f"layer-{i}", initial=layer_initial(layer)) for i, layer in enumerate(existing)]
    return forms + [LayerForm(prefix=f"layer-{i}") for i in range(len(existing), count)]


@require_http_methods(["GET", "POST"])
@staff_page
def schedule_edit(request: HttpRequest, schedule_id: int | None = None) -> HttpResponse:
    """The schedule editor (new or existing): its fields and one form per layer; usable without JS."""
    schedule = queries.get_schedule(request.user, schedule_id) if schedule_id else None
    _require_write(request.user)
    form = ScheduleForm(request.POST or None, initial=schedule_initial(schedule) if schedule else None)
    layers = _layer_forms(request, schedule)
    status = 200
    if request.method == "POST":
        if form.is_valid() and all(lf.is_valid() for lf in layers):
            data = form.to_data()
            data["layers"] = [d for d in (lf.to_data() for lf in layers) if d is not None]
            actor = cast(User, request.user)
            try:
                saved = (services.update_schedule(schedule, data, actor=actor) if schedule
                         else services.create_schedule(data, actor))
            except DomainError as exc:
                _place_error(form, layers, exc)
            else:
                messages.success(request, f"Schedule {saved.name} saved.")
                return HttpResponseRedirect(reverse("oncall:detail", args=[saved.pk]))
        status = 400
    return render(request, "oncall/schedule_form.html", {"schedule": schedule, "form": form, "layers": layers,
                                                          "layer_count": len(layers)}, status=status)


def _place_error(form: ScheduleForm, layers: list[LayerForm], exc: DomainError) -> None:
    """A refusal's reason on the layer field it names (layers[i].field), else on the schedule form."""
    for error in exc.errors:
        name = str(error.get("field", ""))
        if name.startswith("layers[") and "]." in name:
            index, field = name[len("layers["):].split("].", 1)
            kept = [lf for lf in layers if lf.to_data() is not None]
            if index.isdigit() and int(index) < len(kept) and field in kept[int(index)].fields:
                kept[int(index)].add_error(field, str(error.get("message", exc.detail)))
                return
    errors_on_fields(form, exc)


@require_POST
@staff_page
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """Remove a schedule."""
    schedule = queries.get_schedule(request.user, schedule_id)
    _require_write(request.user)
    services.delete_schedule(schedule, actor=cast(User, request.user))
    messages.success(request, f"Schedule {schedule.name} removed.")
    return HttpResponseRedirect(reverse("oncall:list"))


@staff_page
def my_shifts(request: HttpRequest) -> HttpResponse:
    """The signed-in user's shifts for the next 4 weeks, and their iCalendar feed's address."""
    now = clock.now()
    rows = []
    for schedule, shift in queries.shifts_of(request.user, now, now + dt.timedelta(weeks=4)):
        tz = rules.zone(schedule.time_zone)
        rows.append({"schedule": schedule, "start": _wall(shift.start, tz), "end": _wall(shift.end, tz),
                     "override": shift.override_id})
    feed = request.build_absolute_uri("/api/v1/oncall/my-shifts.ics") + "?token=<API token with the calendar scope>"
    return render(request, "oncall/my_shifts.html", {"rows": rows, "feed": feed})
