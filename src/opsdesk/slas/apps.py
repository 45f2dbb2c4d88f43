from django.apps import AppConfig


class SlasConfig(AppConfig):
    """SLA clocks in each site's business time: policies, stored clocks, pauses, notices, attainment."""

    name = "opsdesk.slas"
    label = "slas"

    def ready(self) -> None:
        from opsdesk.core import events, periodic
        from opsdesk.incidents.events import IncidentsChanged
        from opsdesk.workorders.events import WorkOrderChanged

        from . import recompute, tasks

        events.subscribe(WorkOrderChanged, recompute.recompute_work_order)
        events.subscribe(IncidentsChanged, recompute.recompute_incidents)
        periodic.register("slas-watch", every=60, task=tasks.watch_clocks)
