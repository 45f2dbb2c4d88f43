from django.apps import AppConfig


class PagingConfig(AppConfig):
    """Escalation policies, people's notification rules, and the paging engine that stops on acknowledgement."""

    name = "opsdesk.paging"
    label = "paging"
    verbose_name = "Paging"

    def ready(self) -> None:
        from opsdesk.core import events, periodic
        from opsdesk.incidents.events import IncidentsChanged

        from . import services, tasks

        events.subscribe(IncidentsChanged, services.on_incidents_changed)
        # The worker looks for due periodic jobs every second; a 1 s job keeps each step within
        # about 2 s of its due instant (goal: 5 s at 1,000 open incidents, see bench/paging.py).
        periodic.register("paging-escalations", every=1, task=tasks.run_escalations)
