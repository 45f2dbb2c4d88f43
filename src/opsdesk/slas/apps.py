from django.apps import AppConfig


class SlasConfig(AppConfig):
    """SLA clocks in each site's business time, SLOs on experience, error budgets and burn rates."""

    name = "opsdesk.slas"
    label = "slas"
