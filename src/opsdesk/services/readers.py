"""What other clients' things are called, as one client user must not read them.

The services app is the lowest that knows every kind of named thing a client owns (the client,
its users, its sites, its services), so the reader's redactor is built here; the apps above
use it in their client views (changes.client_view, incidents.client_view) with core.tenancy.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from opsdesk.accounts.models import User
from opsdesk.core.tenancy import NO_REDACTION, Redactor, is_client_reader
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from .models import Service

ANOTHER_CLIENT = "another client"
ANOTHER_USER = "another client's user"
ANOTHER_SITE = "another site"
ANOTHER_SERVICE = "another service"
PLURALS = {ANOTHER_CLIENT: "other clients", ANOTHER_USER: "other clients' users", ANOTHER_SITE: "other sites",
           ANOTHER_SERVICE: "other services"}
_CACHE = "_opsdesk_redactor"


def redactor_for(user: Any) -> Redactor:
    """The reader's redactor (built once per user object, so once per request); staff: none."""
    if not is_client_reader(user):
        return NO_REDACTION
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = Redactor(_replacements(user.client_id or 0), PLURALS)
        setattr(user, _CACHE, cached)
    return cached


def _replacements(client_id: int) -> dict[str, str]:
    own_names = _own_names(client_id)
    out: dict[str, str] = {}

    def put(name: str | None, word: str) -> None:
        if name and name.strip().lower() not in own_names:
            out.setdefault(name.strip(), word)

    for code, name in Client.objects.exclude(pk=client_id).values_list("code", "name"):
        put(name, ANOTHER_CLIENT)
        put(code, ANOTHER_CLIENT)
    for username, first, last in User.objects.filter(client__isnull=False).exclude(client_id=client_id).values_list(
        "username", "first_name", "last_name"
    ):
        put(username, ANOTHER_USER)
        put(f"{first} {last}".strip(), ANOTHER_USER)
        put(first, ANOTHER_USER)
        put(last, ANOTHER_USER)
    for code, name in Site.objects.exclude(clients=client_id).values_list("code", "name"):
        put(code, ANOTHER_SITE)
        put(name, ANOTHER_SITE)
    for code, name in Service.objects.exclude(client_id=client_id).values_list("code", "name"):
        put(name, ANOTHER_SERVICE)
        put(code, ANOTHER_SERVICE)
    return out


def _own_names(client_id: int) -> set[str]:
    """What the reader's own things and the staff are called: never redacted, even when another's shares it."""
    names: set[str] = set()
    names.update(*(Client.objects.filter(pk=client_id).values_list("code", "name")))
    staff_or_own = User.objects.filter(client__isnull=True) | User.objects.filter(client_id=client_id)
    for username, first, last in staff_or_own.values_list("username", "first_name", "last_name"):
        names.update((username, first, last, f"{first} {last}"))
    names.update(n for pair in Site.objects.filter(clients=client_id).values_list("code", "name") for n in pair)
    names.update(n for pair in Service.objects.filter(client_id=client_id).values_list("code", "name") for n in pair)
    return {n.strip().lower() for n in names if n and n.strip()}


def timeline(entries: Iterable[Any], user: Any) -> list[Any]:
    """Timeline entries of a shared object as the reader may read them: other clients' names replaced
    in what they say (core.timeline.for_reader has already left out other clients' doings)."""
    items = list(entries)
    if not is_client_reader(user):
        return items
    redactor = redactor_for(user)
    out = []
    for entry in items:
        shown = copy.copy(entry)
        shown.summary = redactor.text(entry.summary)
        shown.actor_label = redactor.text(entry.actor_label)
        shown.changes = redactor.data(entry.changes or {})
        out.append(shown)
    return out
