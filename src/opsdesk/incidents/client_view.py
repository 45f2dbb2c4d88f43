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


def for_readers(incidents: Iterable[Incident], user: Any) -> list[Any]:
    """The incidents as `user` may read them (staff: unchanged), with two queries for the lot."""
    items = list(incidents)
    if not is_client_reader(user):
        return items
    service_ids = visible_ids(Service.objects.all(), user, set().union(
        *(_ids(i, "services", "services") | _ids(i, "downstream", "services") for i in items)))
    site_ids = visible_ids(Site.objects.all(), user, set().union(*(_ids(i, "sites", "sites") for i in items)))
    redactor = redactor_for(user)
    return [
        IncidentForReader(i, client_id=user.client_id, site_ids=site_ids, service_ids=service_ids, redactor=redactor)
        for i in items
    ]


def for_reader(incident: Incident, user: Any) -> Any:
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


class ProblemForReader:
    """A problem shared by several clients as one client's user may read it: the service only if
    they may open it, the known error, workaround and title without other clients' names."""

    def __init__(self, problem: Any, *, service_ids: set[int], redactor: Redactor) -> None:
        self._problem = problem
        visible = problem.service_id in service_ids
        self.service = problem.service if visible else None
        self.service_id = problem.service_id if visible else None
        for name in ("title", "signature", "known_error", "workaround"):
            setattr(self, name, redactor.text(getattr(problem, name) or ""))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._problem, name)

    def __str__(self) -> str:
        return str(self.title)


def problems_for_readers(problems: Iterable[Any], user: Any) -> list[Any]:
    """The problems as `user` may read them (staff: unchanged)."""
    items = list(problems)
    if not is_client_reader(user):
        return items
    service_ids = visible_ids(Service.objects.all(), user, {p.service_id for p in items})
    redactor = redactor_for(user)
    return [ProblemForReader(p, service_ids=service_ids, redactor=redactor) for p in items]


def problem_for_reader(problem: Any, user: Any) -> Any:
    """One problem as `user` may read it."""
    return problems_for_readers([problem], user)[0]


# -- postmortems and their action items --------------------------------------------------------------

POSTMORTEM_TEXT = ("summary", "impact", "detection", "response", "contributing_factors", "went_well", "was_hard")


class _Shown:
    """An object with some attributes shown otherwise (reads of the rest delegate to it)."""

    def __init__(self, obj: Any, **shown: Any) -> None:
        self._obj = obj
        for name, value in shown.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return str(getattr(self, "title", "") or self._obj)


def actions_for_readers(actions: Iterable[Any], user: Any) -> list[Any]:
    """Action items as `user` may read them: the title without other clients' names."""
    items = list(actions)
    if not is_client_reader(user):
        return items
    redactor = redactor_for(user)
    return [_Shown(a, title=redactor.text(a.title)) for a in items]


def action_for_reader(action: Any, user: Any) -> Any:
    """One action item as `user` may read it."""
    return actions_for_readers([action], user)[0]


def postmortems_for_readers(postmortems: Iterable[Any], user: Any) -> list[Any]:
    """Postmortems of shared incidents as `user` may read them: every section, the incident and the
    action items without other clients' names (a postmortem is written for every impacted client)."""
    items = list(postmortems)
    if not is_client_reader(user):
        return items
    redactor = redactor_for(user)
    incidents = {i.pk: i for i in for_readers({p.incident_id: p.incident for p in items}.values(), user)}
    return [
        _Shown(p, incident=incidents[p.incident_id], actions=ReducedRows(actions_for_readers(p.actions.all(), user)),
               **{name: redactor.text(getattr(p, name) or "") for name in POSTMORTEM_TEXT})
        for p in items
    ]


def postmortem_for_reader(postmortem: Any, user: Any) -> Any:
    """One postmortem as `user` may read it."""
    return postmortems_for_readers([postmortem], user)[0]
