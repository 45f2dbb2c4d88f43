"""Use cases of on-call schedules: create, change and remove schedules, their layers and overrides,
and the periodic warning before a gap begins. Each is one transaction with its timeline entries
(on the schedule), and refuses bad input with a 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, crud, notify, timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.errors import Conflict, field_error
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client

from . import queries, rules
from .models import GapWarning, Layer, LayerMember, Override, Schedule

ACTOR = SystemActor("opsdesk on-call")
FIELDS = ("name", "description", "time_zone", "team")
MAX_LAYERS = 20
MAX_MEMBERS = 100
MAX_OVERRIDE = dt.timedelta(days=366)
WARN_AHEAD = dt.timedelta(hours=24)


def _one(model: type[Any], value: Any, field: str) -> Any:
    if value is None:
        return None
    return crud.resolve_ids(model, [value], field)[0]


def _schedule_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Model fields from `data` (those present), validated."""
    if creating:
        for name in ("name", "time_zone"):
            if not data.get(name):
                raise field_error(name, "required")
    fields = {k: data[k] for k in FIELDS if data.get(k) is not None}
    if "name" in fields and not str(fields["name"]).strip():
        raise field_error("name", "required")
    if "time_zone" in fields:
        try:
            rules.valid_zone(fields["time_zone"])
        except ValueError as exc:
            raise field_error("time_zone", str(exc)) from exc
    if "region" in data:
        fields["region"] = _one(Region, data["region"], "region")
    if "client" in data:
        fields["client"] = _one(Client, data["client"], "client")
    return fields


def _m2m(data: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, model in (("services", Service), ("sites", Site)):
        if data.get(name) is not None:
            out[name] = crud.resolve_ids(model, data[name], name)
    return out


def _clean_layer(data: dict[str, Any], field: str, position: int = 0) -> tuple[dict[str, Any], list[User]]:
    """A layer's model fields and its people in rotation order, validated (`field` names it in errors)."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise field_error(f"{field}.name", "required")
    rotation = data.get("rotation") or "weekly"
    hours = data.get("shift_hours")
    try:
        rules.period_of(rotation, hours)
    except ValueError as exc:
        raise field_error(f"{field}.shift_hours" if rotation == "custom" else f"{field}.rotation", str(exc)) from exc
    handoff = data.get("handoff", "09:00")
    if not isinstance(handoff, dt.time):
        try:
            handoff = rules.parse_hhmm(handoff)
        except ValueError as exc:
            raise field_error(f"{field}.handoff", str(exc)) from exc
    start = data.get("start") or data.get("start_on")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError as exc:
            raise field_error(f"{field}.start", f"{start!r} is not a date as YYYY-MM-DD") from exc
    if not isinstance(start, dt.date):
        raise field_error(f"{field}.start", "required: the day of the first handoff, YYYY-MM-DD")
    try:
        restrictions = rules.restrictions_json(rules.parse_restrictions(data.get("restrictions") or []))
    except ValueError as exc:
        raise field_error(f"{field}.restrictions", str(exc)) from exc
    people = data.get("people") or []
    if not isinstance(people, list) or len(people) > MAX_MEMBERS:
        raise field_error(f"{field}.people", f"a list of at most {MAX_MEMBERS} user ids")
    found = {u.pk: u for u in User.objects.filter(pk__in=people)}
    missing = [i for i in people if i not in found]
    if missing:
        raise field_error(f"{field}.people", f"unknown user id(s): {', '.join(map(str, missing))}")
    clients = [found[i].username for i in people if found[i].is_client_user or not found[i].is_active]
    if clients:
        raise field_error(f"{field}.people", f"not staff who can be on call: {', '.join(clients)}")
    # Unless given, a layer's level is its place in the list: later layers win where they cover, as in
    # PagerDuty, so a nights layer listed after the weekly primary takes the nights.
    level = data.get("level")
    if level is None:
        level = position
    if not isinstance(level, int) or isinstance(level, bool) or not -1000 <= level <= 1000:
        raise field_error(f"{field}.level", "an integer between -1000 and 1000")
    fields = {"name": name[:100], "rotation": rotation, "shift_hours": float(hours) if rotation == "custom" and hours is not None else None,
              "handoff": handoff, "start_on": start, "restrictions": restrictions, "level": level}
    return fields, [found[i] for i in people]


def _write_layers(schedule: Schedule, layers: list[dict[str, Any]]) -> list[str]:
    """Replace the schedule's layers; their names."""
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise field_error("layers", f"a list of at most {MAX_LAYERS} layers")
    cleaned = [_clean_layer(item, f"layers[{i}]", i) for i, item in enumerate(layers)]
    Layer.objects.filter(schedule=schedule).delete()
    for fields, people in cleaned:
        layer = Layer.objects.create(schedule=schedule, **fields)
        LayerMember.objects.bulk_create(LayerMember(layer=layer, person=p, position=i) for i, p in enumerate(people))
    return [f["name"] for f, _ in cleaned]


def _describe_layers(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


@transaction.atomic
def create_schedule(data: dict[str, Any], actor: Actor) -> Schedule:
    """Add a schedule with its layers (each a rotation of people)."""
    fields = _schedule_fields(data, creating=True)
    if Schedule.objects.filter(name=fields["name"]).exists():
        raise Conflict(f"A schedule named {fields['name']!r} exists already.")
    layers = data.get("layers") or []
    _precheck_layers(layers)
    schedule = crud.create(Schedule, fields, actor=actor, m2m=_m2m(data))
    names = _write_layers(schedule, layers)
    timeline.record(schedule, "layers_set", actor=actor, summary=f"Layers: {_describe_layers(names)}",
                    changes={"layers": [None, names]})
    return schedule


def _precheck_layers(layers: Any) -> None:
    """Refuse bad layers before anything is written."""
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise field_error("layers", f"a list of at most {MAX_LAYERS} layers")
    for i, item in enumerate(layers):
        if not isinstance(item, dict):
            raise field_error(f"layers[{i}]", "an object")
        _clean_layer(item, f"layers[{i}]", i)


@transaction.atomic
def update_schedule(schedule: Schedule, data: dict[str, Any], *, actor: Actor) -> Schedule:
    """Change a schedule's fields, attachments, and (when given) replace its layers."""
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    fields = _schedule_fields(data, creating=False)
    if "name" in fields and Schedule.objects.filter(name=fields["name"]).exclude(pk=schedule.pk).exists():
        raise Conflict(f"A schedule named {fields['name']!r} exists already.")
    if data.get("layers") is not None:
        _precheck_layers(data["layers"])
    crud.update(schedule, fields, actor=actor, m2m=_m2m(data))
    if data.get("layers") is not None:
        replace_layers(schedule, data["layers"], actor=actor)
    queries.forget(schedule)
    return schedule


@transaction.atomic
def replace_layers(schedule: Schedule, layers: list[dict[str, Any]], *, actor: Actor) -> Schedule:
    """Replace all layers of a schedule."""
    _precheck_layers(layers)
    before = list(Layer.objects.filter(schedule=schedule).values_list("name", flat=True))
    names = _write_layers(schedule, layers)
    timeline.record(schedule, "layers_set", actor=actor, summary=f"Layers: {_describe_layers(names)}",
                    changes={"layers": [before, names]})
    queries.forget(schedule)
    return schedule


@transaction.atomic
def add_layer(schedule: Schedule, data: dict[str, Any], *, actor: Actor) -> Layer:
    """Add one layer on top of the others."""
    if Layer.objects.filter(schedule=schedule).count() >= MAX_LAYERS:
        raise field_error("layers", f"at most {MAX_LAYERS} layers")
    fields, people = _clean_layer(data, "layer", Layer.objects.filter(schedule=schedule).count())
    layer = Layer.objects.create(schedule=schedule, **fields)
    LayerMember.objects.bulk_create(LayerMember(layer=layer, person=p, position=i) for i, p in enumerate(people))
    timeline.record(schedule, "layer_added", actor=actor, summary=f"Layer {layer.name} added",
                    changes={"layer": [None, layer.name], "people": [None, [p.username for p in people]]})
    queries.forget(schedule)
    return layer


@transaction.atomic
def delete_schedule(schedule: Schedule, *, actor: Actor) -> None:
    """Remove a schedule with its layers and overrides."""
    crud.delete(schedule, actor=actor)


def _aware(value: Any, field: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise field_error(field, f"{value!r} is not an ISO-8601 date-time") from exc
    if not isinstance(value, dt.datetime):
        raise field_error(field, "required: an ISO-8601 date-time with its offset")
    if value.tzinfo is None or value.utcoffset() is None:
        raise field_error(field, "give the offset (e.g. 2026-03-29T08:00:00Z or +01:00)")
    return value.astimezone(dt.UTC)


@transaction.atomic
def add_override(schedule: Schedule, data: dict[str, Any], actor: Actor) -> Override:
    """Someone covers [start, end), for one person or (covers_for absent) for whoever is on call."""
    start, end = _aware(data.get("start"), "start"), _aware(data.get("end"), "end")
    if end <= start:
        raise field_error("end", "must be after start")
    if end - start > MAX_OVERRIDE:
        raise field_error("end", "an override lasts at most 366 days")
    if data.get("person") is None:
        raise field_error("person", "required: the user id of who covers")
    person = crud.resolve_ids(User, [data["person"]], "person")[0]
    if person.is_client_user or not person.is_active:
        raise field_error("person", f"{person.username} is not staff who can be on call")
    covers_for = _one(User, data.get("covers_for"), "covers_for")
    if covers_for is not None and covers_for.pk == person.pk:
        raise field_error("covers_for", "a person cannot cover for themselves")
    reason = str(data.get("reason") or "")[:300]
    override = Override.objects.create(schedule=schedule, person=person, covers_for=covers_for, start_at=start,
                                       end_at=end, reason=reason, created_by=actor if isinstance(actor, User) else None)
    whom = f" for {covers_for.username}" if covers_for else ""
    timeline.record(schedule, "override_added", actor=actor,
                    summary=f"{person.username} covers{whom} from {start.isoformat()} to {end.isoformat()}"
                            + (f": {reason}" if reason else ""),
                    changes={"override": [None, override.pk]})
    queries.forget(schedule)
    return override


@transaction.atomic
def delete_override(override: Override, *, actor: Actor) -> None:
    """Remove an override."""
    schedule = override.schedule
    summary = f"Override removed: {override.person.username} from {override.start_at.isoformat()} to {override.end_at.isoformat()}"
    override.delete()
    timeline.record(schedule, "override_removed", actor=actor, summary=summary, changes={"override": [override.pk, None]})
    queries.forget(schedule)


def warn_gaps(now: dt.datetime | None = None) -> int:
    """Notify each schedule's members once per gap beginning (or running) within the next 24 h; how many gaps warned."""
    now = now or clock.now()
    warned = 0
    for schedule in queries.lookup_queryset():
        gap = queries.next_gap(schedule, now, WARN_AHEAD)
        if gap is None:
            continue
        start, end = gap
        with transaction.atomic():
            try:
                with transaction.atomic():
                    GapWarning.objects.create(schedule=schedule, start_at=start, end_at=end, warned_at=now)
            except IntegrityError:
                continue  # warned already (or by another worker just now)
            text = rules.describe_gap(start, end, schedule.time_zone)
            notify.notify(queries.people_of(schedule).values(), f"On-call gap ahead: {schedule.name}",
                          f"{text}. Add an override or a layer so someone is on call.", url=f"/oncall/{schedule.pk}/")
            timeline.record(schedule, "gap_warned", actor=ACTOR, summary=text)
            warned += 1
    return warned
