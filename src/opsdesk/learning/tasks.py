"""Background work of the learning loop (each task idempotent), run by the periodic jobs in apps.py."""

from __future__ import annotations

from django_tasks import task

from opsdesk.core import clock

from . import services


@task()
def notify_overdue_actions() -> int:
    """Periodic: tell owners of open actions past their due day (UTC), once a day at most; how many were told."""
    return services.notify_overdue_actions(clock.today_utc())


@task()
def propose_recurring_problems() -> int:
    """Periodic: propose problems for recurring incidents and link recurrences; how many incidents were linked."""
    return services.propose_problems(clock.now())
