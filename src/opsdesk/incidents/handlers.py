"""Subscriptions of the incidents app to lower apps' domain events (registered in apps.py)."""

from __future__ import annotations

from opsdesk.alerts.events import AlertsProcessed

from . import correlation


def on_alerts_processed(event: AlertsProcessed) -> None:
    """New alerts open or join incidents; acknowledged and resolved ones are told on their timelines."""
    correlation.open_or_attach(event.opened)
    correlation.alerts_changed(event.acknowledged, event.resolved)
