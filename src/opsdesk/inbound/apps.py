from django.apps import AppConfig


class InboundConfig(AppConfig):
    """Inbound email: opsdesk mail receives messages and turns them into requests, comments, updates and acknowledgements."""

    name = "opsdesk.inbound"
    label = "inbound"
    verbose_name = "Inbound mail"
