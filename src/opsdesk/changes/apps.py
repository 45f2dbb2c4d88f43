from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change requests, windows and freezes, risk, approvals, collisions."""

    name = "opsdesk.changes"
    label = "changes"
