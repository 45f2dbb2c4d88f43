"""The kernel's gauges read from the database at scrape time: the task queue and emails waiting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Case, Count, F, Min, Q, When
from django_tasks_db.compat import DEFAULT_TASK_QUEUE_NAME, TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import Metric

from .. import clock
from .registry import gauge_of


def task_queue() -> Iterator[Metric]:
    """Per queue: how many tasks wait to run, and how long the oldest has waited (0 when none)."""
    now = clock.now()
    due = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=now)
    )
    # A delayed task waits from its run_after, an immediate one from its enqueue.
    since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    found = due.values("queue_name").annotate(n=Count("id"), oldest=Min(since))
    rows: dict[str, tuple[int, dt.datetime | None]] = {
        r["queue_name"]: (r["n"], r["oldest"]) for r in found
    }
    rows.setdefault(DEFAULT_TASK_QUEUE_NAME, (0, None))
    depth = gauge_of(
        "opsdesk_task_queue_depth",
        "Background tasks ready to run, not yet claimed by a worker.",
        labels=["queue"],
    )
    age = gauge_of(
        "opsdesk_task_queue_oldest_age_seconds",
        "Seconds the oldest ready task has waited for a worker (0 when the queue is empty).",
        labels=["queue"],
    )
    for queue, (waiting, oldest) in sorted(rows.items()):
        depth.add_metric([queue], waiting)
        age.add_metric([queue], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    yield depth
    yield age


def emails_pending() -> Iterator[Metric]:
    """Notification emails queued and not yet sent."""
    from ..tasks import send_notification_email

    due = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=send_notification_email.module_path
    )
    yield gauge_of(
        "opsdesk_notification_emails_pending",
        "Notification emails queued, not yet sent.",
        value=due.count(),
    )
