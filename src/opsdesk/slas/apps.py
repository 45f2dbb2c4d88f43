from django.apps import AppConfig


class SlasConfig(AppConfig):
    """SLA clocks in each site's business time, SLOs on experience, error budgets and burn rates."""

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
        # Burn rates move by the minute (buckets are minutes); checks run every 30 s at the most.
        periodic.register("slos-evaluate", every=60, task=tasks.evaluate_slos)
        periodic.register("slos-synthetic", every=15, task=tasks.run_synthetic_checks)
