"""Domain events the alerts app publishes (incidents subscribes; alerts never imports it)."""

from __future__ import annotations

from dataclasses import dataclass

from opsdesk.core.events import DomainEvent


@dataclass(frozen=True)
class AlertsProcessed(DomainEvent):
    """A batch of accepted events became alerts: the ids opened, re-triggered, acknowledged and resolved.

    Published inside the processing transaction; handlers correlate and page in it.
    """

    opened: tuple[int, ...]
    retriggered: tuple[int, ...]
    acknowledged: tuple[int, ...]
    resolved: tuple[int, ...]
