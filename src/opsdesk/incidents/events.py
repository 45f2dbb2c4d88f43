"""Domain events the incidents app publishes (higher apps subscribe; incidents never imports them)."""

from __future__ import annotations

from dataclasses import dataclass

from opsdesk.core.events import DomainEvent


@dataclass(frozen=True)
class IncidentsChanged(DomainEvent):
    """Incidents were opened, or their state or what their SLA depends on (severity, sites,
    clients) changed.

    Published inside the changing transaction; slas recomputes the stored clocks in it.
    """

    incident_ids: tuple[int, ...]
