from django.apps import AppConfig


class InboundConfig(AppConfig):
    """Inbound email: opsdesk mail receives messages and turns them into requests, comments, updates and acknowledgements."""

    name = "opsdesk.inbound"
    label = "inbound"
    verbose_name = "Inbound mail"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks

        # Each stored message has its own task; this catches one whose task died with its worker.
        periodic.register("inbound-stale", every=60, task=tasks.process_stale)
