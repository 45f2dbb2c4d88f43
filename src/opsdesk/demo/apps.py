from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation (`opsdesk demo`): reads and writes every app, imported by none."""

    name = "opsdesk.demo"
    label = "demo"
