"""What the services area shows on other pages: counts, services at a site or of a client."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.core.templatetags.opsdesk_ui import class_filter
from opsdesk.services import queries

register = template.Library()

# The CSS modifier of a criticality level.
CRITICALITY_CLASS = {1: "low", 2: "medium", 3: "high", 4: "critical"}

register.filter("criticality_class", class_filter(CRITICALITY_CLASS, prefix="", default="medium"))


@register.simple_tag(takes_context=True)
def visible_service_count(context: template.Context) -> int:
    """How many services the signed-in user may see."""
    return queries.list_services(context["request"].user).count()


@register.inclusion_tag("services/partials/service_panel.html", takes_context=True)
def site_services_panel(context: template.Context, site: Any) -> dict[str, Any]:
    """Services hosted at a site, as far as the user may see them."""
    user = context["request"].user
    return {
        "title": "Services hosted",
        "services": queries.list_services(user, site=site.pk),
        "empty": "No services are hosted here.",
        "show_client": not getattr(user, "is_client_user", False),
        "request": context["request"],
    }


@register.inclusion_tag("services/partials/service_panel.html", takes_context=True)
def client_services_panel(context: template.Context, client: Any) -> dict[str, Any]:
    """A client's services."""
    return {
        "title": "Services",
        "services": queries.list_services(context["request"].user, client=client.pk),
        "empty": "This client has no services yet.",
        "show_client": False,
        "request": context["request"],
    }
