"""Subscriptions of the incidents app to lower apps' domain events (registered in apps.py)."""

from __future__ import annotations

from opsdesk.alerts.events import AlertsProcessed, ChangeRecorded
from opsdesk.services import queries as service_queries
from opsdesk.services import rules as service_rules

from . import correlation, impact
from .models import Incident
from .rules import OPEN_STATES


def on_alerts_processed(event: AlertsProcessed) -> None:
    """New alerts open or join incidents; acknowledged and resolved ones are told on their timelines."""
    correlation.open_or_attach(event.opened)
    correlation.alerts_changed(event.acknowledged, event.resolved)


def on_change_recorded(event: ChangeRecorded) -> None:
    """A change reported late (after the incident it may have caused opened) joins the "what changed"
    of the incidents still open on its services, downstream of them, or on its sites."""
    edges = service_queries.all_edges()
    affected = set(event.service_ids)
    for service_id in event.service_ids:
        affected |= service_rules.downstream(service_id, edges)
    touched = (Incident.objects.filter(state__in=OPEN_STATES, services__in=affected)
               | Incident.objects.filter(state__in=OPEN_STATES, sites__in=event.site_ids))
    for incident in touched.distinct():
        impact.refresh(incident, edges)
