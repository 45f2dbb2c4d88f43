"""Notifications: an in-app inbox row per user, and email sent by a task after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from . import clock
from .metrics import registry as metrics
from .models import Notification


def notify(users: Iterable[Any], title: str, body: str = "", url: str = "") -> list[Notification]:
    """Put a message in each user's inbox and enqueue its email (same transaction: an outbox)."""
    from .tasks import send_notification_email

    now = clock.now()
    rows = [
        Notification(user=u, created_at=now, title=title[:200], body=body, url=url)
        for u in {u.pk: u for u in users if u is not None}.values()
    ]
    created = Notification.objects.bulk_create(rows)
    metrics.count_notifications("inbox", len(created))
    if settings.OPSDESK_EMAIL_ENABLED:
        for row in created:
            if row.user.email:
                send_notification_email.enqueue(row.pk)
    return created


def unread_count(user: Any) -> int:
    """How many unread notifications the user has."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def list_notifications(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all, or the given ids); returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=clock.now())


def list_for(user: Any, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    qs = Notification.objects.filter(user=user)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")
