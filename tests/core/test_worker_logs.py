"""`opsdesk worker`'s log, from a real worker process: periodic bookkeeping stays out of INFO, what
changed is one INFO line with counts, and a failing task is still an ERROR."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from django_tasks import task

from opsdesk.alerts import keys
from opsdesk.alerts.intake import deliveries, storage
from opsdesk.alerts.intake import queries as intake_queries
from opsdesk.core import clock
from tests.alerts.factories import make_integration
from tests.e2e.peers import CLI, Database, opsdesk_env

pytestmark = pytest.mark.django_db(transaction=True)


@task()
def explode() -> None:
    """A task that fails, for the worker's log."""
    raise RuntimeError("the disk caught fire")


def run_worker(tmp_path: Path, seconds: float) -> list[str]:
    """Run `opsdesk worker` on the test's database (logging at INFO) for `seconds`; its log lines."""
    database = Database(tmp_path)
    env = opsdesk_env(tmp_path, database) | {"OPSDESK_LOG_LEVEL": "INFO"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*CLI, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        time.sleep(seconds)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return log.read_text().splitlines()


def info_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if " INFO " in line]


def deliver(raw_key: str, alert_keys: list[str]) -> None:
    """Store one generic delivery of triggers (as the intake does before it answers 202)."""
    body = orjson.dumps({"events": [{"action": "trigger", "key": k, "summary": f"{k} is down", "severity": "error"}
                                    for k in alert_keys]})
    located = deliveries.locate("generic", raw_key, body)
    assert isinstance(located, deliveries.Located)
    source = intake_queries.find_source(keys.hash_key(raw_key))
    accepted = deliveries.accept(located, source, body, lambda name: None, clock.now())
    assert isinstance(accepted, deliveries.Accepted) and accepted.row is not None
    storage.store([accepted.row])


def test_an_idle_worker_logs_nothing_at_info_per_tick(tmp_path: Path) -> None:
    lines = run_worker(tmp_path, 4)
    assert any("Starting worker" in line for line in lines), lines
    chatter = [line for line in info_lines(lines) if "Starting worker" not in line]
    # Before: "Enqueued periodic job alerts-process" and the task's RUNNING/SUCCESSFUL, every second.
    assert chatter == [], "\n".join(chatter)


def test_work_done_is_one_info_line_with_counts_and_a_failure_is_an_error(tmp_path: Path) -> None:
    _, raw = make_integration("generic")
    deliver(raw, ["db1-disk", "db2-disk"])
    explode.enqueue()
    lines = run_worker(tmp_path, 5)
    processed = [line for line in info_lines(lines) if "alerts" in line and "process" in line]
    assert len(processed) == 1, "\n".join(lines)
    assert "deliveries=1" in processed[0] and "new_alerts=2" in processed[0], processed[0]
    assert not any("Enqueued periodic job" in line or "state=RUNNING" in line for line in info_lines(lines)), \
        "\n".join(info_lines(lines))
    failures = [line for line in lines if " ERROR " in line and "explode" in line]
    assert failures, "\n".join(lines)
    assert any("the disk caught fire" in line for line in lines)
