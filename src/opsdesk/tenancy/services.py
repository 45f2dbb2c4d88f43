"""Use cases for clients."""

from __future__ import annotations

from typing import Any

from opsdesk.core import crud
from opsdesk.core.actors import Actor

from .models import Client


def create_client(data: dict[str, Any], *, actor: Actor) -> Client:
    """Register a client."""
    return crud.create(Client, data, actor=actor)


def update_client(client: Client, data: dict[str, Any], *, actor: Actor) -> Client:
    """Change a client's details."""
    return crud.update(client, data, actor=actor)


def delete_client(client: Client, *, actor: Actor) -> None:
    """Remove a client that nothing refers to any more."""
    crud.delete(client, actor=actor)
