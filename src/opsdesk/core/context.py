"""Template context shared by every page: the navigation and the unread count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .notify import unread_count

# (label, url name or None while the area is still to come, staff only)
NAVIGATION = [
    ("Work", "workorders:queue", False),
    ("Dispatch", "dispatch:board", True),
    ("Changes", "changes:list", False),
    ("Incidents", "incidents:list", False),
    ("On-call", "oncall:list", True),
    ("Paging", "paging:policies", True),
    ("SLAs", "slas:attainment", False),
    ("SLOs", "slos:list", False),
    ("Sites", "sites:list", False),
    ("People", "people:list", True),
    ("Services", "services:list", False),
    ("Clients", "tenancy:list", False),
    ("Inbound mail", "inbound:list", True),
    ("Channels", "channels:list", True),
    ("Email wording", "mailtemplates:list", True),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries visible to the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_client = getattr(user, "is_client_user", False)
    items = [
        {"label": label, "url_name": url_name}
        for label, url_name, staff_only in NAVIGATION
        if not (staff_only and is_client)
    ]
    return {"nav_items": items, "unread_notifications": unread_count(user)}
