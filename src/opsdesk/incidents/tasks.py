"""Background work of the incidents app (each task idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def remind_overdue_updates() -> int:
    """Remind whoever speaks for each open incident whose status update is overdue."""
    from .updates import remind_overdue

    return remind_overdue()
