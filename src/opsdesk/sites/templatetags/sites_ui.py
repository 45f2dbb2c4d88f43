"""What the sites area shows on other pages: counts and a client's sites."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.sites import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_site_count(context: template.Context) -> int:
    """How many sites the signed-in user may see."""
    return queries.list_sites(context["request"].user).count()


@register.inclusion_tag("sites/partials/client_sites.html", takes_context=True)
def client_sites_panel(context: template.Context, client: Any) -> dict[str, Any]:
    """The sites that serve a client."""
    return {
        "sites": queries.list_sites(context["request"].user, client=client.pk),
        "request": context["request"],
    }
