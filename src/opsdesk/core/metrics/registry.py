"""opsdesk's own metrics, in the Prometheus exposition format (served at /metrics by metrics.view).

Two kinds, by where the truth is:

- What one process sees happen (requests and their latency, intake answers, processed deliveries,
  notifications sent, task outcomes, the SLA watch's duration) is counted with prometheus_client in
  multiprocess mode: every opsdesk process on the machine (gunicorn workers, the lean intake, the
  worker, a CLI run) writes its counts to files in settings.METRICS_DIR, and a scrape adds them up.
- What the database knows (the task queue, deliveries waiting to be processed) is read at scrape
  time from cheap indexed queries by the sources apps register (`register_source`), so it is right
  whichever process or machine changed it.

Metrics with labels write nothing until used; the unlabelled ones are made on first use, so a
command that counts nothing leaves no file behind.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)
# settings.py points PROMETHEUS_MULTIPROC_DIR at METRICS_DIR; choose the multiprocess values even if
# prometheus_client was imported before the settings were (it decides once, at its import).
values.ValueClass = values.get_value_class()
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUEST_SECONDS = Histogram(
    "opsdesk_http_request_duration_seconds",
    "Time to answer a request of the web server, by method, route pattern (not the path) and status.",
    ["method", "route", "code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
INTAKE_REQUESTS = Counter(
    "opsdesk_alert_intake_requests",
    "Alert deliveries answered by the intake (web port and lean intake), by kind and status: 2xx accepted.",
    ["kind", "code"],
)
NOTIFICATIONS = Counter(
    "opsdesk_notification_deliveries",
    "Notifications delivered (inbox rows written, emails sent) or failed, by channel.",
    ["channel", "outcome"],
)
TASKS_FINISHED = Counter(
    "opsdesk_tasks_finished",
    "Background tasks run by workers, by task and final status.",
    ["task", "status"],
)


@functools.cache
def alert_deliveries_processed() -> Counter:
    """Accepted deliveries that processing turned into alerts (its rate is the processing rate)."""
    return Counter(
        "opsdesk_alert_deliveries_processed", "Accepted alert deliveries processed into alerts."
    )


@functools.cache
def sla_watch_seconds() -> Histogram:
    """How long each run of the SLA watch takes."""
    return Histogram(
        "opsdesk_sla_watch_duration_seconds",
        "Time one run of the SLA watch (refresh, at-risk, breach) takes.",
        buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
    )


# --- counting, for the places where things happen ---------------------------------------------------


def observe_request(method: str, route: str, code: int, seconds: float) -> None:
    """Count one answered web request (unknown methods as OTHER, so labels stay bounded)."""
    method = method if method in METHODS else "OTHER"
    HTTP_REQUEST_SECONDS.labels(
        method, route, str(code) if 100 <= code <= 599 else "other"
    ).observe(seconds)


def count_intake(kind: str, code: int) -> None:
    """Count one intake answer (kind: events_v2, alertmanager, grafana, generic, or unknown)."""
    INTAKE_REQUESTS.labels(kind, str(code)).inc()


def count_processed(deliveries: int) -> None:
    """Count deliveries processed into alerts."""
    if deliveries:
        alert_deliveries_processed().inc(deliveries)


def count_notifications(channel: str, n: int = 1, *, outcome: str = "delivered") -> None:
    """Count notifications delivered (or failed) on a channel (inbox, email)."""
    if n:
        NOTIFICATIONS.labels(channel, outcome).inc(n)


def count_task(task_path: str, status: str) -> None:
    """Count a finished background task (status: SUCCESSFUL or FAILED)."""
    TASKS_FINISHED.labels(task_path, str(status)).inc()


P = ParamSpec("P")
R = TypeVar("R")


def timed(histogram: Callable[[], Histogram]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so each call's duration is observed in `histogram()` (made on first call)."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with histogram().time():
                return function(*args, **kwargs)

        return run

    return decorate


# --- what the database knows, read at scrape time ---------------------------------------------------

Source = Callable[[], Iterable[Metric]]
_sources: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Add gauges read from the database at each scrape (apps call this in their apps.py ready())."""
    _sources[name] = source


class DatabaseCollector(Collector):
    """The registered sources' metrics; a source whose database read fails is left out (and logged)."""

    def collect(self) -> Iterator[Metric]:
        for name, source in list(_sources.items()):
            try:
                metrics = list(source())
            except DatabaseError as exc:
                logger.warning("metrics source %s could not read the database: %s", name, exc)
                continue
            yield from metrics


def exposition(names: Iterable[str] | None = None) -> bytes:
    """Every process's counters and histograms, summed, and the database's gauges: the scrape's body
    (only the series of `names` when given)."""
    registry = CollectorRegistry(support_collectors_without_names=True)  # for restricted_registry
    multiprocess.MultiProcessCollector(registry, path=str(settings.METRICS_DIR))
    registry.register(DatabaseCollector())
    return generate_latest(registry.restricted_registry(names) if names is not None else registry)


# --- the files of multiprocess mode -----------------------------------------------------------------

_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")


def clear_stopped_processes(directory: Path | None = None) -> int:
    """Remove the count files of processes no longer running (`opsdesk serve` does it at start, so
    counters start again from the processes alive); how many were removed."""
    removed = 0
    for path in Path(directory or settings.METRICS_DIR).glob("*.db"):
        found = _FILE.match(path.name)
        if found and not _running(int(found.group(1))):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def gauge_of(
    name: str, documentation: str, value: float | None = None, labels: Iterable[str] = ()
) -> Any:
    """A GaugeMetricFamily (labelled: add samples with .add_metric(labels, value))."""
    from prometheus_client.core import GaugeMetricFamily

    if value is not None:
        return GaugeMetricFamily(name, documentation, value=value)
    return GaugeMetricFamily(name, documentation, labels=list(labels))
