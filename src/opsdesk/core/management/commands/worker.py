"""`opsdesk worker`: run queued background tasks, and schedule periodic jobs when due.

Runs django-tasks-db's worker loop; between tasks (at most once a second) it calls
``opsdesk.core.periodic.enqueue_due()``, so periodic work needs no cron.

Recovery of tasks whose worker died (kill -9, power loss): django-tasks-db marks a task
RUNNING when a worker claims it and nothing ever moves it on if that worker dies. A RUNNING
task whose ``started_at`` is older than the lease (``--lease``, default 15 minutes; setting
``OPSDESK_TASK_LEASE_SECONDS``) is put back to READY, at startup and then every minute, so
any worker picks it up again. A task that legitimately runs longer than the lease may then
run twice; tasks are idempotent by house rule, so that is safe, only wasteful.
``--recover`` re-queues every RUNNING task at startup regardless of age: use it only when
you know no other worker is running (e.g. a single-machine install after a crash).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, TASKS_LOGGER, TaskResultStatus
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_interval,
    valid_max_tasks,
)
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from opsdesk.core import clock, periodic
from opsdesk.core.metrics import registry as metrics

logger = logging.getLogger("opsdesk.worker")
PERIODIC_EVERY = 1.0  # seconds between enqueue_due() calls
RECOVERY_EVERY = 60.0  # seconds between stale-task sweeps


def requeue_stale(*, older_than: dt.timedelta | None) -> int:
    """Put RUNNING tasks back to READY (all of them when `older_than` is None); returns how many."""
    stale = DBTaskResult.objects.running()
    if older_than is not None:
        stale = stale.filter(started_at__lt=clock.now() - older_than)
    # One UPDATE: a row a live worker finishes meanwhile is no longer RUNNING and stays done.
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("Re-queued %d task(s) left RUNNING by a worker that stopped", count)
    return count


def did_something(value: Any) -> bool:
    """Whether a task's return value says it changed something (a count above 0, a non-empty list...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, dict):
        return any(did_something(v) for v in value.values())
    if isinstance(value, list | tuple | set | str):
        return len(value) > 0
    return value is not None


def summary(value: Any) -> str:
    """A task's return value in a log line (at most 200 characters)."""
    if isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = "nothing returned" if value is None else str(value)
    return text[:200]


class OpsdeskWorker(Worker):
    """django-tasks-db's worker, plus periodic jobs and stale-task recovery between tasks."""

    def __init__(self, *, lease: dt.timedelta, recover: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lease = lease
        self.recover = recover
        self._next_periodic = 0.0
        self._next_recovery = 0.0

    def run(self) -> None:
        """Claim and run tasks until stopped (or, with --batch, until the queue is empty)."""
        logger.info("Starting worker %s", self.worker_id)
        requeue_stale(older_than=None if self.recover else self.lease)
        self._next_recovery = time.monotonic() + RECOVERY_EVERY
        while self.running:
            close_old_connections()
            self.between_tasks()
            task_result, retrieved = self.claim_next()
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and retrieved:
                logger.info("Queue empty; worker %s exits (--batch)", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran %d task(s); worker %s exits", self._run_tasks, self.worker_id)
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def between_tasks(self) -> None:
        """Enqueue due periodic jobs (at most once a second) and sweep stale tasks (each minute)."""
        now = time.monotonic()
        try:
            if now >= self._next_periodic:
                self._next_periodic = now + PERIODIC_EVERY
                for name in periodic.enqueue_due():
                    logger.debug("Enqueued periodic job %s", name)
            if now >= self._next_recovery:
                self._next_recovery = now + RECOVERY_EVERY
                requeue_stale(older_than=self.lease)
        except DatabaseError as exc:  # a busy or briefly unreachable database: try next time
            logger.warning("Periodic scheduling skipped: %s", exc)

    def run_task(self, db_task_result: DBTaskResult[..., Any]) -> None:
        """Run a task; say at INFO what it did when it did something (periodic no-ops at DEBUG)."""
        began = time.monotonic()
        super().run_task(db_task_result)
        metrics.count_task(db_task_result.task_path, db_task_result.status)
        if db_task_result.status != TaskResultStatus.SUCCESSFUL:
            return  # django-tasks logged the failure (ERROR, with the traceback)
        value = db_task_result.return_value
        periodic_job = db_task_result.task_path in periodic.task_paths()
        level = logging.INFO if did_something(value) or not periodic_job else logging.DEBUG
        logger.log(level, "Task %s done in %.2f s: %s", db_task_result.task_path,
                   time.monotonic() - began, summary(value))

    def claim_next(self) -> tuple[DBTaskResult[..., Any] | None, bool]:
        """Lock and claim the next ready task; (task or None, whether the queue was read)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                return None, False
        return task_result, True


class Command(BaseCommand):
    """Run the background worker: queued tasks, periodic jobs, recovery of abandoned tasks."""

    help = "Run the background worker (tasks and periodic jobs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="seconds to wait when the queue is empty (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued (and due), then exit"
        )
        parser.add_argument(
            "--max-tasks",
            type=valid_max_tasks,
            default=None,
            help="exit after running this many tasks",
        )
        parser.add_argument(
            "--queue", default="*", help="queues to process, comma-separated; '*' for all (default)"
        )
        parser.add_argument(
            "--lease",
            type=valid_interval,
            default=getattr(settings, "OPSDESK_TASK_LEASE_SECONDS", 900),
            help="re-queue RUNNING tasks started longer ago than this (seconds)",
        )
        parser.add_argument(
            "--recover",
            action="store_true",
            help="at startup re-queue ALL running tasks (only when no other worker runs)",
        )
        parser.add_argument("--worker-id", default="", help="unique id (default: random)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Configure logging and run the worker loop."""
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(options["verbosity"], logging.DEBUG)
        for name in ("opsdesk.worker", "django_tasks_db"):
            logging.getLogger(name).setLevel(level)
        # django-tasks logs every task's RUNNING and SUCCESSFUL at INFO (two lines a second from
        # alerts-process alone): bookkeeping, kept for -v 2. Failures stay (ERROR, with traceback);
        # what a task did is logged by OpsdeskWorker.run_task and by the task itself.
        tasks_level = logging.WARNING if level == logging.INFO else level
        logging.getLogger(TASKS_LOGGER).setLevel(tasks_level)
        worker = OpsdeskWorker(
            queue_names=options["queue"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=[],
            lease=dt.timedelta(seconds=options["lease"]),
            recover=options["recover"],
        )
        # Graceful stop on SIGINT/SIGTERM: finish the current task, then exit. The previous
        # handlers come back afterwards (call_command in tests, --batch runs).
        in_main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        previous = {sig: signal.getsignal(sig) for sig in signals} if in_main else {}
        if in_main:
            worker.configure_signals()
        try:
            worker.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
