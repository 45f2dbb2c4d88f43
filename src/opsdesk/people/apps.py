from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Engineers, skills, certifications, site access and shifts."""

    name = "opsdesk.people"
    label = "people"
