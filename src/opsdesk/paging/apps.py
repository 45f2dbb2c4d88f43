from django.apps import AppConfig


class PagingConfig(AppConfig):
    """Escalation policies, people's notification rules, and the paging engine that stops on acknowledgement."""

    name = "opsdesk.paging"
    label = "paging"
    verbose_name = "Paging"
