"""Typed domain events. A lower app tells a higher one through an event, never an import.

Handlers are registered explicitly in each app's ``apps.py`` (``ready()``) and run
synchronously inside the publishing service's transaction; anything slow or external
is enqueued by the handler as a task, so it runs after commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

E = TypeVar("E", bound="DomainEvent")
_handlers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


@dataclass(frozen=True)
class DomainEvent:
    """Base class of all domain events."""


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Register a handler for one event type (idempotent)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event: DomainEvent) -> None:
    """Call every handler registered for the event's type and its bases."""
    for klass in type(event).__mro__:
        for handler in list(_handlers.get(klass, ())):
            handler(event)
