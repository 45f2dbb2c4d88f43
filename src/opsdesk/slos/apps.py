from django.apps import AppConfig


class SlosConfig(AppConfig):
    """SLOs on experience: SLI measurements, synthetic checks, error budgets and burn-rate alerts."""

    name = "opsdesk.slos"
    label = "slos"
    verbose_name = "SLOs"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks

        # Burn rates move by the minute (buckets are minutes); checks run every 30 s at the most.
        periodic.register("slos-evaluate", every=60, task=tasks.evaluate_slos)
        periodic.register("slos-synthetic", every=15, task=tasks.run_synthetic_checks)
