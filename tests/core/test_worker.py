"""`opsdesk worker`: periodic jobs scheduled once per interval; abandoned tasks recovered."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from opsdesk.core import clock, periodic
from opsdesk.core.management.commands.worker import requeue_stale

# The worker runs in this process and, like upstream's, calls close_old_connections(), which
# (rightly) closes a connection left inside a transaction: so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TASK_PATH = f"{__name__}.heartbeat"


@task()
def heartbeat() -> str:
    """A periodic job for the tests."""
    return "beat"


@pytest.fixture
def job(monkeypatch) -> periodic.Job:
    """Register one job for this test only (the registry is a module-level dict)."""
    j = periodic.Job(name="test-heartbeat", every=60, task=heartbeat)
    monkeypatch.setattr(periodic, "_jobs", {j.name: j})
    return j


def run_worker(*args: str) -> None:
    call_command("worker", "--batch", "--interval", "0", *args, verbosity=0)


def runs() -> int:
    return DBTaskResult.objects.filter(
        task_path=TASK_PATH, status=TaskResultStatus.SUCCESSFUL
    ).count()


def test_enqueue_due_once_per_interval(job):
    with clock.frozen(T0):
        assert periodic.enqueue_due() == ["test-heartbeat"]
        assert periodic.enqueue_due() == []
    with clock.frozen(T0 + dt.timedelta(seconds=59)):
        assert periodic.enqueue_due() == []
    with clock.frozen(T0 + dt.timedelta(seconds=60)):
        assert periodic.enqueue_due() == ["test-heartbeat"]
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 2


def test_worker_schedules_and_runs_periodic_jobs(job):
    with clock.frozen(T0):
        run_worker()
        run_worker()  # a second worker (or restart) in the same interval adds nothing
    assert runs() == 1
    assert DBTaskResult.objects.get(task_path=TASK_PATH).return_value == "beat"
    with clock.frozen(T0 + dt.timedelta(seconds=30)):
        run_worker()
    assert runs() == 1
    with clock.frozen(T0 + dt.timedelta(seconds=61)):
        run_worker()
    assert runs() == 2


def abandoned(started_ago: dt.timedelta) -> DBTaskResult:
    """A task claimed by a worker that then died (kill -9): RUNNING forever."""
    result = heartbeat.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    row.status = TaskResultStatus.RUNNING
    row.started_at = clock.now() - started_ago
    row.worker_ids = ["dead-worker"]
    row.save()
    return row


def test_stale_running_task_is_requeued_and_run_at_startup():
    old = abandoned(dt.timedelta(hours=2))
    recent = abandoned(dt.timedelta(seconds=5))
    run_worker()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == TaskResultStatus.SUCCESSFUL
    assert old.worker_ids[0] == "dead-worker" and len(old.worker_ids) == 2
    # Within the lease it may still be running on a live worker: left alone.
    assert recent.status == TaskResultStatus.RUNNING
    assert recent.worker_ids == ["dead-worker"]


def test_lease_is_configurable_and_recover_takes_all():
    row = abandoned(dt.timedelta(seconds=30))
    run_worker("--lease", "60")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING
    run_worker("--lease", "10")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL

    fresh = abandoned(dt.timedelta(seconds=1))
    run_worker("--recover")
    fresh.refresh_from_db()
    assert fresh.status == TaskResultStatus.SUCCESSFUL


def test_requeue_leaves_finished_tasks_alone():
    row = abandoned(dt.timedelta(hours=1))
    DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.SUCCESSFUL)
    assert requeue_stale(older_than=None) == 0


def test_max_tasks_stops_the_worker():
    for _ in range(3):
        heartbeat.enqueue()
    call_command("worker", "--max-tasks", "2", "--interval", "0", verbosity=0)
    assert runs() == 2


@task()
def first_attempt_hangs(marker: str) -> str:
    """Hangs on its first attempt (the worker gets killed meanwhile), succeeds on the next."""
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(120)
    return "done"


def test_task_of_a_killed_worker_is_recovered(tmp_path: Path):
    """Real processes on a real file database: kill -9 a worker mid-task, recover, rerun."""
    db = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {"OPSDESK_VAR_DIR": str(tmp_path), "OPSDESK_DATABASE_URL": f"sqlite:///{db}"}
    root = Path(__file__).resolve().parents[2]

    def opsdesk(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "opsdesk.cli", *args],
            env=env,
            cwd=root,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def ok(proc: subprocess.Popen[str]) -> str:
        out = proc.communicate(timeout=120)[0]
        assert proc.returncode == 0, out
        return out

    marker = tmp_path / "marker"
    ok(opsdesk("migrate", "--no-input", "-v", "0"))
    ok(
        opsdesk(
            "shell",
            "--no-imports",
            "-c",
            f"from {__name__} import first_attempt_hangs; first_attempt_hangs.enqueue({str(marker)!r})",
        )
    )
    worker = opsdesk("worker", "--interval", "0.1")
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the worker never started the task"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate()

    def status() -> str:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT status FROM django_tasks_database_dbtaskresult").fetchone()[
                0
            ]

    assert status() == "RUNNING"  # abandoned: nobody will finish it
    ok(opsdesk("worker", "--batch", "--interval", "0"))
    assert status() == "RUNNING"  # within the lease another worker might still own it
    ok(opsdesk("worker", "--batch", "--interval", "0", "--recover"))
    assert status() == "SUCCESSFUL"
