"""Domain events the workorders app publishes (higher apps subscribe; workorders never imports them)."""

from __future__ import annotations

from dataclasses import dataclass

from opsdesk.core.events import DomainEvent


@dataclass(frozen=True)
class WorkOrderChanged(DomainEvent):
    """A work order's state or what its SLA depends on (priority, category, site, client) changed.

    Published inside the changing transaction; slas recomputes the stored clocks in it.
    """

    work_order_id: int
