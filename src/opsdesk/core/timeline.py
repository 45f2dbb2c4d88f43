"""Append-only activity: every create, update and state change, readable as one conversation."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from . import clock
from .actors import ActorRef, identify
from .models import Activity

SKIP_FIELDS = {"id", "password", "created_at", "updated_at", "token_hash"}


def _plain(value: Any) -> Any:
    """JSON-safe form of a field value."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of an object, for before/after comparison."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.attname not in SKIP_FIELDS
    ]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def entry(
    obj: Model,
    verb: str,
    *,
    actor: ActorRef = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    visibility: str = Activity.Visibility.INTERNAL,
    at: dt.datetime | None = None,
) -> Activity:
    """One timeline entry, not yet saved: the same who/when/what/before-after as `record` writes,
    for writers that save many at once (`record_batch`)."""
    user, label = identify(actor)
    return Activity(
        at=at or clock.now(),
        actor_id=user.pk if user else None,
        actor_label=label or "system",
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        verb=verb,
        summary=summary,
        changes=changes or {},
        visibility=visibility,
    )


def record(
    obj: Model,
    verb: str,
    *,
    actor: ActorRef = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    visibility: str = Activity.Visibility.INTERNAL,
) -> Activity:
    """Append one entry to the object's timeline."""
    made = entry(obj, verb, actor=actor, summary=summary, changes=changes, visibility=visibility)
    made.save(force_insert=True)
    return made


def record_batch(entries: Iterable[Activity]) -> int:
    """Append entries made by `entry` in batches (bulk loads that tell a history at its instants)."""
    rows = list(entries)
    Activity.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def for_object(obj: Model, *, client_visible_only: bool = False) -> QuerySet[Activity]:
    """The object's timeline, oldest first."""
    qs = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )
    if client_visible_only:
        qs = qs.filter(visibility=Activity.Visibility.CLIENT)
    return qs.order_by("at", "id")


def for_reader(obj: Model, user: Any) -> QuerySet[Activity]:
    """The object's timeline as `user` may read it: a client user reads the client-visible entries
    that are not another client's doing (on a shared object, each client's own part)."""
    if not getattr(user, "is_client_user", False):
        return for_object(obj)
    return for_object(obj, client_visible_only=True).filter(
        Q(actor__client__isnull=True) | Q(actor__client_id=user.client_id)
    )


def record_many(objs: Iterable[Model], verb: str, *, actor_label: str, summary: str) -> int:
    """Append the same entry to many objects' timelines in one batch (bulk loads, imports)."""
    now = clock.now()
    rows = [
        Activity(
            at=now, actor_label=actor_label, verb=verb, summary=summary,
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
        )
        for obj in objs
    ]
    Activity.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def record_each(items: Iterable[tuple[Model, str, str]], *, actor_label: str) -> int:
    """Append one entry per (object, verb, summary), in order, in one batch (bulk processing)."""
    now = clock.now()
    rows = [
        Activity(at=now, actor_label=actor_label, verb=verb, summary=summary,
                 content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        for obj, verb, summary in items
    ]
    Activity.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
