"""Kernel background tasks. Each is idempotent: running it twice has the effect of once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from . import clock
from .mailtemplates import rendering as mailtemplates
from .metrics import registry as metrics
from .models import Notification


def notification_text(note: Notification) -> tuple[str, str]:
    """The email of a notification, worded for the user's audience: a client user's by their
    client's own wording, else the client audience's; staff by the staff audience's."""
    user: Any = note.user
    is_client = bool(getattr(user, "is_client_user", False))
    client = getattr(user, "client", None) if is_client else None
    return mailtemplates.render("notification", "client" if is_client else "staff", {
        "title": note.title, "body": note.body, "link": f"{settings.BASE_URL}{note.url}" if note.url else "",
        "user_name": user.get_full_name() or user.get_username(), "client_name": client.name if client else "",
    }, client=user.client_id if is_client else None)


@task()
def send_notification_email(notification_id: int) -> bool:
    """Email one notification to its user, once."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None or not note.user.email:
            return False
        subject, body = notification_text(note)
        try:
            send_mail(
                subject=subject,
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.user.email],
            )
        except Exception:
            metrics.count_notifications("email", outcome="failed")
            raise
        metrics.count_notifications("email")
        # Marked inside the transaction: if the process dies before commit the
        # task is retried (a second email is possible, a lost one is not).
        note.emailed_at = clock.now()
        note.save(update_fields=["emailed_at"])
    return True
