from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles and API tokens."""

    name = "opsdesk.accounts"
    label = "accounts"
