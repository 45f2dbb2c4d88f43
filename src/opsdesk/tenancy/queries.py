"""Reads of clients, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.tenancy import get_scoped, scope

from .models import Client


def list_clients(user: Any, *, q: str | None = None) -> QuerySet[Client]:
    """Clients the user may see (a client user: only their own)."""
    qs = scope(Client.objects.all(), user)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name")


def get_client(user: Any, client_id: int) -> Client:
    """One client the user may see, or NotFound."""
    return get_scoped(Client.objects.all(), user, pk=client_id)
