from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    """Work orders: readiness gate, ownership and handoffs, on-site execution, client portal."""

    name = "opsdesk.workorders"
    label = "workorders"
