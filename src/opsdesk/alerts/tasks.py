"""Background work of the alerts app: turning accepted raw events into alerts."""

from __future__ import annotations

from django_tasks import task

from opsdesk.core.metrics import registry as metrics


@task()
def process_pending() -> dict[str, int]:
    """Process every accepted raw event not yet processed (idempotent: processed rows are skipped);
    what was done, as counts (the worker logs them at INFO when there were deliveries)."""
    from .processing import drain

    counts: dict[str, int] = {}
    drain(counts=counts)
    metrics.count_processed(counts.get("deliveries", 0))
    return counts
