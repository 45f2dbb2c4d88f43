"""The alerts app's gauges read at scrape time (core.metrics): deliveries accepted but not processed."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from opsdesk.core import clock
from opsdesk.core.metrics.registry import gauge_of

from .models import RawEvent


def processing_backlog() -> Iterator[Metric]:
    """How many accepted deliveries wait for processing, and the age of the oldest (the lag)."""
    pending = RawEvent.objects.filter(
        processed_at__isnull=True
    )  # the raw_event_pending partial index
    oldest = pending.order_by("id").values_list("received_at", flat=True).first()
    lag = max(0.0, (clock.now() - oldest).total_seconds()) if oldest else 0.0
    yield gauge_of(
        "opsdesk_alert_deliveries_pending",
        "Accepted alert deliveries not yet processed into alerts.",
        value=pending.count(),
    )
    yield gauge_of(
        "opsdesk_alert_processing_lag_seconds",
        "Age of the oldest accepted alert delivery not yet processed (0 when none waits).",
        value=lag,
    )
