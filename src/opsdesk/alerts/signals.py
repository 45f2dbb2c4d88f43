"""The normalised form every ingestion format is turned into (alerts.formats) and processing reads
(alerts.processing). Plain JSON-safe dicts: they are stored as accepted, in RawEvent.signals."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Action = Literal["trigger", "acknowledge", "resolve"]
SEVERITIES = ("critical", "error", "warning", "info")


class Signal(TypedDict):
    """One alert's news in one delivery.

    `key` identifies the alert within its integration: Alertmanager's and Grafana's fingerprint
    (or, when absent, a hash of the sorted labels), the Events API's dedup_key (generated on a
    trigger without one), the generic format's `key`.
    """

    action: Action
    key: str
    summary: str  # <= 1024 characters
    source: str  # <= 255
    severity: str  # one of SEVERITIES
    labels: dict[str, str]
    annotations: dict[str, str]
    details: dict[str, Any]  # custom_details, links, images, generatorURL, dashboardURL, ... as sent
    started_at: str | None  # ISO 8601 with offset, when the sender says it started
    ended_at: str | None  # ISO 8601 with offset, when the sender says it ended (resolve)
    # Placement chosen by opsdesk itself (heartbeats), ahead of mapping rules; no format sets them.
    service_id: NotRequired[int | None]
    site_id: NotRequired[int | None]
