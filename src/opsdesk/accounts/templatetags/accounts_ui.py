"""What the accounts area shows on other pages: a client's users."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.accounts import queries

register = template.Library()


@register.inclusion_tag("accounts/partials/client_users.html", takes_context=True)
def client_users_panel(context: template.Context, client: Any) -> dict[str, Any]:
    """Users who belong to a client."""
    return {
        "users": queries.list_users(context["request"].user, client=client.pk),
        "request": context["request"],
    }
