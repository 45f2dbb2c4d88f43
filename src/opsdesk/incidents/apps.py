from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, roles, correlation of alerts, "what changed", audience updates (postmortems and
    problems are opsdesk.learning's)."""

    name = "opsdesk.incidents"
    label = "incidents"

    def ready(self) -> None:
        from opsdesk.alerts.events import AlertsProcessed, ChangeRecorded
        from opsdesk.core import events, periodic

        from . import handlers, tasks

        events.subscribe(AlertsProcessed, handlers.on_alerts_processed)
        events.subscribe(ChangeRecorded, handlers.on_change_recorded)
        periodic.register("incidents-update-reminders", every=60, task=tasks.remind_overdue_updates)
