from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: clock, errors, state machines, tenancy, timeline, notifications, API."""

    name = "opsdesk.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers system checks)
            signals,
        )

        signals.connect()
        from . import metrics, metrics_sources

        metrics.register_source("task-queue", metrics_sources.task_queue)
        metrics.register_source("emails-pending", metrics_sources.emails_pending)
