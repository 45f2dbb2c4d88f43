from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    """Work orders: readiness gate, ownership and handoffs, on-site execution, client portal."""

    name = "opsdesk.workorders"
    label = "workorders"

    def ready(self) -> None:
        """Register the periodic checks the worker runs: handoff escalation and at-risk notices."""
        from opsdesk.core import periodic

        from . import tasks

        periodic.register("workorders-handoff-escalation", every=60, task=tasks.escalate_unacknowledged)
        periodic.register("workorders-at-risk", every=60, task=tasks.notify_at_risk)
