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


@dataclass(frozen=True)
class ChangeRecorded(DomainEvent):
    """A reported change (a change event: a deploy, a configuration push) was recorded as an
    implemented change on these services and sites. Published inside the recording transaction;
    incidents still open on or downstream of them rank it in their "what changed"."""

    change_id: int
    service_ids: tuple[int, ...]
    site_ids: tuple[int, ...]
