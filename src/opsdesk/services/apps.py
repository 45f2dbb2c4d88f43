from django.apps import AppConfig


class ServicesConfig(AppConfig):
    """Clients' services / configuration items and their dependency graph."""

    name = "opsdesk.services"
    label = "services"
