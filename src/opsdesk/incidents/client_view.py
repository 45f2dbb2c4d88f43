"""An incident as one reader may read it: a client user sees only their own part of an incident
that impacts several clients.

The one place that reduces an incident for a client user (the API answers and the client page go
through it): the impact names only the services and sites they may open and their own client;
the incident's services and sites are theirs only; what changed is internal analysis and stays
hidden (it names other clients' work); the title, summary and client updates are shown with
other clients' names replaced (services.readers). Staff read the incident as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from opsdesk.core.tenancy import Redactor, ReducedRows, is_client_reader, visible_ids
from opsdesk.services.models import Service
from opsdesk.services.readers import redactor_for
from opsdesk.sites.models import Site

from .models import Incident

TEXT_FIELDS = ("title", "summary", "signature")



class IncidentForReader:
    """An incident reduced to one client's part (reads delegate to the incident)."""

    internal_hidden = True

    def __init__(self, incident: Incident, *, client_id: int | None, site_ids: set[int], service_ids: set[int],
                 redactor: Redactor) -> None:
        self._incident = incident
        self.services = ReducedRows([s for s in incident.services.all() if s.pk in service_ids])
        self.sites = ReducedRows([s for s in incident.sites.all() if s.pk in site_ids])
        impact = incident.impact or {}
        self.impact = {
            "services": [s for s in impact.get("services", []) if s.get("id") in service_ids],
            "downstream": [s for s in impact.get("downstream", []) if s.get("id") in service_ids],
            "clients": [c for c in impact.get("clients", []) if c.get("id") == client_id],
            "sites": [s for s in impact.get("sites", []) if s.get("id") in site_ids],
        }
        self.what_changed: list[Any] = []
        for name in TEXT_FIELDS:
            setattr(self, name, redactor.text(getattr(incident, name) or ""))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._incident, name)

    def __str__(self) -> str:
        return f"INC-{self._incident.pk} {self.title}"


def _ids(incident: Incident, key: str, relation: str) -> set[int]:
    found = {int(s["id"]) for s in (incident.impact or {}).get(key, []) if "id" in s}
    return found | {o.pk for o in getattr(incident, relation).all()}


def for_readers(incidents: Iterable[Incident], user: Any) -> list[Incident | IncidentForReader]:
    """The incidents as `user` may read them (staff: unchanged), with two queries for the lot."""
    items = list(incidents)
    if not is_client_reader(user):
        return list(items)
    service_ids = visible_ids(Service.objects.all(), user, set().union(
        *(_ids(i, "services", "services") | _ids(i, "downstream", "services") for i in items)))
    site_ids = visible_ids(Site.objects.all(), user, set().union(*(_ids(i, "sites", "sites") for i in items)))
    redactor = redactor_for(user)
    return [
        IncidentForReader(i, client_id=user.client_id, site_ids=site_ids, service_ids=service_ids, redactor=redactor)
        for i in items
    ]


def for_reader(incident: Incident, user: Any) -> Incident | IncidentForReader:
    """One incident as `user` may read it."""
    return for_readers([incident], user)[0]


def updates(found: Iterable[Any], user: Any) -> list[Any]:
    """Status updates with other clients' names replaced (a client update goes to every impacted client)."""
    items = list(found)
    if not is_client_reader(user):
        return items
    redactor = redactor_for(user)
    out = []
    for update in items:
        shown = copy.copy(update)
        for name in ("body", "can_do", "cannot_do", "workaround"):
            setattr(shown, name, redactor.text(getattr(update, name) or ""))
        out.append(shown)
    return out
