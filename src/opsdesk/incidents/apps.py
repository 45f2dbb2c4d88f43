from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, roles, correlation of alerts, "what changed", audience updates, postmortems, problems."""

    name = "opsdesk.incidents"
    label = "incidents"

    def ready(self) -> None:
        from opsdesk.alerts.events import AlertsProcessed, ChangeRecorded
        from opsdesk.core import events, periodic

        from . import handlers, postmortems, problems, tasks

        events.subscribe(AlertsProcessed, handlers.on_alerts_processed)
        events.subscribe(ChangeRecorded, handlers.on_change_recorded)
        periodic.register("incidents-update-reminders", every=60, task=tasks.remind_overdue_updates)
        # Hourly: each job is idempotent (an action's owner is told at most once a day).
        periodic.register("incidents-overdue-actions", every=3600, task=postmortems.notify_overdue_actions)
        periodic.register("incidents-propose-problems", every=3600, task=problems.propose_recurring_problems)
