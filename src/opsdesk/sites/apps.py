from django.apps import AppConfig


class SitesConfig(AppConfig):
    """Regions, sites, site requirements and business calendars."""

    name = "opsdesk.sites"
    label = "sites"
