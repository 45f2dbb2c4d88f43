"""Reads of on-call schedules (staff only): who is on call, final shifts, gaps; the seams paging calls.

A schedule is loaded once with its layers, members and overrides (`lookup_queryset`) and compiled
into `rules.CompiledSchedule`; answers expand only the window asked about. The compiled form is
kept on the instance, so repeated lookups on a loaded schedule touch no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from opsdesk.accounts.models import User
from opsdesk.core.errors import NotFound
from opsdesk.core.tenancy import get_scoped, scope

from . import rules
from .models import Layer, LayerMember, Override, Schedule

# A gap that began before the instant asked about is reported with its real start when it began
# within this long before (rotations longer than this are rare; the start is then clipped).
GAP_LOOKBACK = dt.timedelta(days=8)
_COMPILED = "_oncall_compiled"


def lookup_queryset() -> QuerySet[Schedule]:
    """Schedules with everything an on-call answer needs, in a fixed number of queries."""
    members = LayerMember.objects.select_related("person").order_by("position")
    layers = Layer.objects.prefetch_related(Prefetch("members", queryset=members))
    overrides = Override.objects.select_related("person", "covers_for", "created_by").order_by("start_at", "id")
    return Schedule.objects.select_related("region", "client").prefetch_related(
        Prefetch("layers", queryset=layers), Prefetch("overrides", queryset=overrides), "services", "sites",
    )


def list_schedules(user: Any, *, q: str | None = None, team: str | None = None) -> QuerySet[Schedule]:
    """Schedules the user may see (staff only), by name."""
    qs = scope(lookup_queryset(), user)
    if q:
        qs = qs.filter(name__icontains=q)
    if team:
        qs = qs.filter(team=team)
    return qs.order_by("name", "id")


def get_schedule(user: Any, schedule_id: int) -> Schedule:
    """One schedule the user may see, or 404."""
    return get_scoped(lookup_queryset(), user, pk=schedule_id)


def get_override(schedule: Schedule, override_id: int) -> Override:
    """One override of the schedule, or 404."""
    found = Override.objects.filter(schedule=schedule, pk=override_id).select_related("person", "covers_for").first()
    if found is None:
        raise NotFound(f"No override {override_id} on schedule {schedule.name!r}.")
    return found


def _loaded(schedule: Schedule) -> Schedule:
    cache = getattr(schedule, "_prefetched_objects_cache", {})
    if "layers" in cache and "overrides" in cache:
        return schedule
    return lookup_queryset().get(pk=schedule.pk)


def compiled(schedule: Schedule) -> tuple[rules.CompiledSchedule, dict[int, User]]:
    """The schedule as plain data and the people it names (computed once per loaded instance)."""
    found: tuple[rules.CompiledSchedule, dict[int, User]] | None = getattr(schedule, _COMPILED, None)
    if found is not None:
        return found
    loaded = _loaded(schedule)
    people: dict[int, User] = {}
    layers = []
    for layer in loaded.layers.all():
        members = list(layer.members.all())
        people.update((m.person_id, m.person) for m in members)
        layers.append(rules.Layer(
            id=layer.pk, level=layer.level, period=rules.period_of(layer.rotation, layer.shift_hours),
            anchor=dt.datetime.combine(layer.start_on, layer.handoff), members=tuple(m.person_id for m in members),
            restrictions=rules.parse_restrictions(layer.restrictions),
        ))
    overrides = []
    for o in loaded.overrides.all():
        people[o.person_id] = o.person
        overrides.append(rules.OverrideRule(o.pk, o.person_id, o.start_at, o.end_at, o.covers_for_id))
    found = (rules.CompiledSchedule(loaded.pk, loaded.time_zone, tuple(layers), tuple(overrides)), people)
    setattr(schedule, _COMPILED, found)
    return found


def forget(schedule: Schedule) -> None:
    """Drop the compiled form kept on an instance (after a change)."""
    if hasattr(schedule, _COMPILED):
        delattr(schedule, _COMPILED)


def on_call(schedule: Schedule, at: dt.datetime) -> list[User]:
    """The people on call at `at` (several when layers of one level or overrides make it so; empty in a gap)."""
    plan, people = compiled(schedule)
    return [people[i] for i in plan.who(at)]


def on_call_many(schedules: Iterable[Schedule], at: dt.datetime) -> list[tuple[Schedule, list[User]]]:
    """Who is on call at `at` in each schedule (load them with `lookup_queryset` for a fixed query count)."""
    return [(s, on_call(s, at)) for s in schedules]


def on_call_for(*, service_id: int | None = None, site_id: int | None = None, client_id: int | None = None,
                at: dt.datetime) -> list[tuple[Schedule, list[User]]]:
    """The schedules attached to any of that service, site or client, and who is on call in each at `at`."""
    where = Q(pk__in=[])
    if service_id is not None:
        where |= Q(services__id=service_id)
    if site_id is not None:
        where |= Q(sites__id=site_id)
    if client_id is not None:
        where |= Q(client_id=client_id)
    ids = Schedule.objects.filter(where).values_list("pk", flat=True).distinct()
    return on_call_many(lookup_queryset().filter(pk__in=list(ids)).order_by("name", "id"), at)


def shifts(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[rules.Shift]:
    """The final shifts of [start, end), clipped to it."""
    return compiled(schedule)[0].shifts(start, end)


def gaps(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals of [start, end) that nobody covers."""
    return compiled(schedule)[0].gaps(start, end)


def people_of(schedule: Schedule) -> dict[int, User]:
    """The people a schedule names (layer members and override people), by id."""
    return compiled(schedule)[1]


def shifts_of(person: Any, start: dt.datetime, end: dt.datetime) -> list[tuple[Schedule, rules.Shift]]:
    """One person's shifts in every schedule, in [start, end), by start."""
    ids = set(LayerMember.objects.filter(person=person).values_list("layer__schedule_id", flat=True))
    ids |= set(Override.objects.filter(person=person, end_at__gt=start, start_at__lt=end)
               .values_list("schedule_id", flat=True))
    out = [(s, x) for s in lookup_queryset().filter(pk__in=ids) for x in shifts(s, start, end) if x.person_id == person.pk]
    out.sort(key=lambda item: (item[1].start, item[0].name))
    return out


def next_gap(schedule: Schedule, after: dt.datetime, within: dt.timedelta) -> tuple[dt.datetime, dt.datetime] | None:
    """The first gap running at or beginning within `within` after `after` (its real start), or None."""
    for a, b in gaps(schedule, after - GAP_LOOKBACK, after + within):
        if b > after:
            return a, b
    return None


def next_handoff(schedule: Schedule, after: dt.datetime, within: dt.timedelta = dt.timedelta(days=8)) -> dt.datetime | None:
    """The next instant after `after` at which who is on call changes, or None within `within`."""
    plan = compiled(schedule)[0]
    found = plan.shifts(after, after + within)
    current = {x.person_id for x in found if x.start <= after}
    for point in sorted({x.start for x in found} | {x.end for x in found}):
        if point > after and point < after + within and set(plan.who(point)) != current:
            return point
    return None


def user_choices() -> QuerySet[User]:
    """Staff users who can be on call (active, not client users), by username."""
    return User.objects.filter(is_active=True).exclude(role=User.Role.CLIENT).order_by("username")
