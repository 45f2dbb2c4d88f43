"""Background work of the alerts app: turning accepted raw events into alerts."""

from __future__ import annotations

from django_tasks import task


@task()
def process_pending() -> int:
    """Process every accepted raw event not yet processed (idempotent: processed rows are skipped)."""
    from .processing import drain

    return drain()
