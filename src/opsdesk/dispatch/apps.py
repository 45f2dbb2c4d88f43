"""Dispatch app config."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    """Planning engineers' days: plans, stops, the solver adapter and the plan checker."""

    name = "opsdesk.dispatch"
    label = "dispatch"
    verbose_name = "Dispatch"
    default_auto_field = "django.db.models.BigAutoField"
