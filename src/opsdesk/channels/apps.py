from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Every channel that reaches people outside opsdesk: signed webhooks, Slack, Microsoft Teams (email stays in core.notify)."""

    name = "opsdesk.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from opsdesk.core import periodic

        from . import tasks

        periodic.register("channels-deliver", every=5, task=tasks.deliver_due)
