from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call schedules: layers, rotations, restrictions and overrides, DST-correct; who is on call when."""

    name = "opsdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks

        # A gap beginning within 24 h is warned within 5 minutes of coming into view, once.
        periodic.register("oncall-gap-warnings", every=300, task=tasks.warn_gaps)
