from django.apps import AppConfig


class TenancyConfig(AppConfig):
    """Clients: the organisations work is done for; the unit of tenancy."""

    name = "opsdesk.tenancy"
    label = "tenancy"
