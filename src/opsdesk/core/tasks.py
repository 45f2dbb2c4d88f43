"""Kernel background tasks. Each is idempotent: running it twice has the effect of once."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from . import clock
from .metrics import registry as metrics
from .models import Notification


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
        link = f"\n\n{settings.BASE_URL}{note.url}" if note.url else ""
        try:
            send_mail(
                subject=f"[opsdesk] {note.title}",
                message=f"{note.body}{link}",
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
