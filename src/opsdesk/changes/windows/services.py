"""Use cases for change windows and freezes: validate (pure rules in rules.py), write, timeline.

Only a person edits windows (staff, through the API), so `actor` is a User.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.accounts.models import User
from opsdesk.core import crud
from opsdesk.core.errors import InvalidInput, field_error
from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client

from . import rules
from .models import ChangeWindow

SCOPES = ("site", "region", "client")
_SCOPE_MODELS: dict[str, type] = {"site": Site, "region": Region, "client": Client}


def create_window(data: dict[str, Any], *, actor: User) -> ChangeWindow:
    """Add a window or freeze: a recurring rule (rrule + start + duration) or a one-off (start + end)."""
    return crud.create(ChangeWindow, _fields(data, None), actor=actor)


def update_window(window: ChangeWindow, data: dict[str, Any], *, actor: User) -> ChangeWindow:
    """Change a window or freeze; the result is validated as a whole, like a new one."""
    return crud.update(window, _fields(data, window), actor=actor)


def delete_window(window: ChangeWindow, *, actor: User) -> None:
    """Remove a window or freeze (the timeline keeps the record)."""
    crud.delete(window, actor=actor)


def _fields(data: dict[str, Any], current: ChangeWindow | None) -> dict[str, Any]:
    """Model fields for the merged state of `current` and `data`, or InvalidInput naming the field."""
    out: dict[str, Any] = {k: data[k] for k in ("kind", "name") if data.get(k) is not None}
    scope, time_zone = _scope(data, current)
    out.update(scope)
    start = _start(data, current)
    rrule = data.get("rrule", current.rrule if current else "")
    if rrule:
        try:
            rrule = rules.validate_rrule(rrule, start)
        except ValueError as exc:
            raise field_error("rrule", str(exc)) from exc
    out.update(
        start_on=start.date(), start_time=start.time(), rrule=rrule or "",
        duration_minutes=_duration(data, current, start, time_zone),
    )
    return out


def _scope(data: dict[str, Any], current: ChangeWindow | None) -> tuple[dict[str, Any], str | None]:
    chosen: dict[str, Any] = {
        name: (data[name] if name in data else getattr(current, f"{name}_id", None))
        for name in SCOPES
    }
    given = [name for name, value in chosen.items() if value is not None]
    if len(given) != 1:
        fields = given or list(SCOPES)
        detail = f"Give exactly one of site, region, client (got {', '.join(given) or 'none'})."
        raise InvalidInput(detail, errors=[{"field": name, "message": detail} for name in fields])
    name = given[0]
    obj: Any = crud.resolve_ids(_SCOPE_MODELS[name], [chosen[name]], name)[0]
    ids: dict[str, Any] = {f"{n}_id": None for n in SCOPES}
    ids[f"{name}_id"] = obj.pk
    return ids, (obj.time_zone if name == "site" else None)


def _naive(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise field_error(field, "a local date and time such as 2026-11-29T01:00")
    if value.tzinfo is not None:
        raise field_error(
            field, "give the local time without an offset (e.g. 2026-11-29T01:00); it is read in each site's time zone"
        )
    if not 1970 <= value.year <= 2200:
        raise field_error(field, "a year between 1970 and 2200")
    return value.replace(second=0, microsecond=0)


def _start(data: dict[str, Any], current: ChangeWindow | None) -> dt.datetime:
    if data.get("start") is not None:
        return _naive(data["start"], "start")
    if current is not None:
        return dt.datetime.combine(current.start_on, current.start_time)
    raise field_error("start", "required: the local start of the first (or only) occurrence")


def _duration(data: dict[str, Any], current: ChangeWindow | None, start: dt.datetime, time_zone: str | None) -> int:
    """From `end` (real minutes in the site's zone; wall-clock for region/client rules) or `duration_minutes`."""
    end, minutes = data.get("end"), data.get("duration_minutes")
    if end is not None and minutes is not None:
        raise field_error("end", "give end or duration_minutes, not both")
    if end is not None:
        end = _naive(end, "end")
        if end <= start:
            raise field_error("end", "must be after start")
        minutes = rules.elapsed_minutes(start, end, time_zone)
        field = "end"
    elif minutes is not None:
        field = "duration_minutes"
    elif current is not None:
        minutes, field = current.duration_minutes, "duration_minutes"
    else:
        raise field_error("end", "give end (a one-off) or duration_minutes (with rrule)")
    try:
        return rules.validate_duration(minutes)
    except ValueError as exc:
        raise field_error(field, str(exc)) from exc
