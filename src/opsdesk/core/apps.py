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
        from .metrics import registry, sources

        registry.register_source("task-queue", sources.task_queue)
        registry.register_source("emails-pending", sources.emails_pending)
