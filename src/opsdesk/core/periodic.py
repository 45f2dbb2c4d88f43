"""Periodic jobs, scheduled by `opsdesk worker` (not cron).

Apps register jobs in their ``apps.py``: ``periodic.register("sla-check", every=60, task=...)``.
The worker enqueues a due job's task once, even with several workers (the row lock on
PeriodicRun decides), and the task itself runs like any other queued task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from . import clock
from .models import PeriodicRun


@dataclass(frozen=True)
class Job:
    """A task to enqueue every `every` seconds."""

    name: str
    every: float
    task: Any


_jobs: dict[str, Job] = {}


def register(name: str, every: float, task: Any) -> None:
    """Declare a periodic job."""
    _jobs[name] = Job(name=name, every=every, task=task)


def jobs() -> list[Job]:
    """All declared jobs."""
    return list(_jobs.values())


def task_paths() -> set[str]:
    """The module paths of the periodic jobs' tasks (the worker logs their no-op runs at DEBUG)."""
    return {job.task.module_path for job in _jobs.values()}


def enqueue_due() -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued."""
    now = clock.now()
    enqueued = []
    for job in jobs():
        with transaction.atomic():
            run, created = PeriodicRun.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_enqueued_at": now}
            )
            if not created and now - run.last_enqueued_at < dt.timedelta(seconds=job.every):
                continue
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued
