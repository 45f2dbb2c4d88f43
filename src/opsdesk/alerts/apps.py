from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Integrations, alert ingestion (Alertmanager, Events API v2, Grafana, generic), dedup, maintenance."""

    name = "opsdesk.alerts"
    label = "alerts"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks
        from .heartbeats import tasks as heartbeat_tasks

        # Accepted events are processed within about a second of their commit.
        periodic.register("alerts-process", every=1, task=tasks.process_pending)
        # Missed heartbeats are noticed within about 15 s of their grace ending.
        periodic.register("alerts-heartbeats", every=15, task=heartbeat_tasks.check_heartbeats)

        from opsdesk.core.metrics.registry import register_source

        from .metrics import processing_backlog

        register_source("alert-processing", processing_backlog)
