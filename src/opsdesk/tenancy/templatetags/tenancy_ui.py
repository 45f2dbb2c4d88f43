"""What the tenancy area shows on other pages."""

from __future__ import annotations

from django import template

from opsdesk.tenancy import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_client_count(context: template.Context) -> int:
    """How many clients the signed-in user may see."""
    return queries.list_clients(context["request"].user).count()
