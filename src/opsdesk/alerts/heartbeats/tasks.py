"""Background work of heartbeats: the periodic check for missed pings."""

from __future__ import annotations

from django_tasks import task


@task()
def check_heartbeats() -> dict[str, int]:
    """Move overdue heartbeats to late or down (raising their alerts); counts of what changed."""
    from .services import check_overdue

    return {name: n for name, n in check_overdue().items() if n}
