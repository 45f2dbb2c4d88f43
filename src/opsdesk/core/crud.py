"""Generic create/update/delete use cases: validate through the model, write, record the timeline.

App services call these for plain reference data; anything with state or rules of its own
gets a dedicated service function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError

from . import timeline
from .actors import ActorRef
from .errors import Conflict, field_error

M = TypeVar("M", bound=models.Model)


def resolve_ids(model: type[M], ids: Iterable[int], field: str) -> list[M]:
    """Objects for the given ids, or InvalidInput naming the unknown ones."""
    wanted = list(dict.fromkeys(ids))
    found = {o.pk: o for o in model._default_manager.filter(pk__in=wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise field_error(field, f"unknown {model._meta.verbose_name} id(s): {', '.join(map(str, missing))}")
    return [found[i] for i in wanted]


def _save(obj: models.Model) -> None:
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a race past full_clean's uniqueness check
        raise Conflict(f"This conflicts with an existing {obj._meta.verbose_name}: {exc}") from exc


def _set_m2m(obj: models.Model, m2m: Mapping[str, list[Any]] | None) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, objs in (m2m or {}).items():
        manager = getattr(obj, name)
        before = sorted(manager.values_list("pk", flat=True))
        manager.set(objs)
        after = sorted(o.pk for o in objs)
        if before != after:
            changes[name] = [before, after]
    return changes


@transaction.atomic
def create(
    model: type[M], fields: Mapping[str, Any], *, actor: ActorRef, m2m: Mapping[str, list[Any]] | None = None
) -> M:
    """Create, validate and save one object and record 'created' on its timeline."""
    obj = model(**fields)
    _save(obj)
    changes = {k: [None, v] for k, v in timeline.snapshot(obj).items() if v not in (None, "", [], {})}
    changes.update(_set_m2m(obj, m2m))
    timeline.record(obj, "created", actor=actor, summary=f"{str(model._meta.verbose_name).capitalize()} created", changes=changes)
    return obj


@transaction.atomic
def update(
    obj: M, fields: Mapping[str, Any], *, actor: ActorRef, m2m: Mapping[str, list[Any]] | None = None
) -> M:
    """Apply field changes, validate, save and record the before/after on the timeline."""
    before = timeline.snapshot(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    _save(obj)
    changes = timeline.diff(before, timeline.snapshot(obj))
    changes.update(_set_m2m(obj, m2m))
    if changes:
        timeline.record(obj, "updated", actor=actor, summary=f"Changed {', '.join(sorted(changes))}", changes=changes)
    return obj


@transaction.atomic
def delete(obj: models.Model, *, actor: ActorRef) -> None:
    """Delete an object unless others still refer to it; the timeline keeps the record."""
    label = str(obj)
    timeline.record(obj, "deleted", actor=actor, summary=f"{str(obj._meta.verbose_name).capitalize()} {label} deleted")
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        kinds = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})
        raise Conflict(f"{label} is still used by {', '.join(kinds)}; remove those first.") from exc
