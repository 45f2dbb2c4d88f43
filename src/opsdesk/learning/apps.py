from django.apps import AppConfig


class LearningConfig(AppConfig):
    """The learning loop: postmortems of incidents, their action items, and problems (recurring failures)."""

    name = "opsdesk.learning"
    label = "learning"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks

        # Hourly: each job is idempotent (an action's owner is told at most once a day). The names are
        # the ones they had in the incidents app: PeriodicRun rows remember when each last ran.
        periodic.register("incidents-overdue-actions", every=3600, task=tasks.notify_overdue_actions)
        periodic.register("incidents-propose-problems", every=3600, task=tasks.propose_recurring_problems)
