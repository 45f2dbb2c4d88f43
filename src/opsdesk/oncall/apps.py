from django.apps import AppConfig


class OncallConfig(AppConfig):
    """On-call schedules: layers, rotations, restrictions and overrides, DST-correct; who is on call when."""

    name = "opsdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"
