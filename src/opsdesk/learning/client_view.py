"""Postmortems, action items and problems as one reader may read them: a client user sees a shared
problem or postmortem without other clients' names (services.readers), and the incident of a
postmortem as incidents.client_view reduces it. Staff read them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsdesk.core.tenancy import Redactor, ReducedRows, is_client_reader, visible_ids
from opsdesk.incidents.client_view import for_readers
from opsdesk.services.models import Service
from opsdesk.services.readers import redactor_for

from .models import ActionItem, Postmortem, Problem


class ProblemForReader:
    """A problem shared by several clients as one client's user may read it: the service only if
    they may open it, the known error, workaround and title without other clients' names."""

    def __init__(self, problem: Problem, *, service_ids: set[int], redactor: Redactor) -> None:
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


def problems_for_readers(problems: Iterable[Problem], user: Any) -> list[Problem | ProblemForReader]:
    """The problems as `user` may read them (staff: unchanged)."""
    items = list(problems)
    if not is_client_reader(user):
        return list(items)
    service_ids = visible_ids(Service.objects.all(), user, {p.service_id for p in items})
    redactor = redactor_for(user)
    return [ProblemForReader(p, service_ids=service_ids, redactor=redactor) for p in items]


def problem_for_reader(problem: Problem, user: Any) -> Problem | ProblemForReader:
    """One problem as `user` may read it."""
    return problems_for_readers([problem], user)[0]


# -- postmortems and their action items --------------------------------------------------------------

POSTMORTEM_TEXT = ("summary", "impact", "detection", "response", "contributing_factors", "went_well", "was_hard")


class Shown:
    """An object with some attributes shown otherwise (reads of the rest delegate to it)."""

    def __init__(self, obj: Any, **shown: Any) -> None:
        self._obj = obj
        for name, value in shown.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return str(getattr(self, "title", "") or self._obj)


def actions_for_readers(actions: Iterable[ActionItem], user: Any) -> list[ActionItem | Shown]:
    """Action items as `user` may read them: the title without other clients' names."""
    items = list(actions)
    if not is_client_reader(user):
        return list(items)
    redactor = redactor_for(user)
    return [Shown(a, title=redactor.text(a.title)) for a in items]


def action_for_reader(action: ActionItem, user: Any) -> ActionItem | Shown:
    """One action item as `user` may read it."""
    return actions_for_readers([action], user)[0]


def postmortems_for_readers(postmortems: Iterable[Postmortem], user: Any) -> list[Postmortem | Shown]:
    """Postmortems of shared incidents as `user` may read them: every section, the incident and the
    action items without other clients' names (a postmortem is written for every impacted client)."""
    items = list(postmortems)
    if not is_client_reader(user):
        return list(items)
    redactor = redactor_for(user)
    incidents = {i.pk: i for i in for_readers({p.incident_id: p.incident for p in items}.values(), user)}
    return [
        Shown(p, incident=incidents[p.incident_id], actions=ReducedRows(actions_for_readers(p.actions.all(), user)),
               **{name: redactor.text(getattr(p, name) or "") for name in POSTMORTEM_TEXT})
        for p in items
    ]


def postmortem_for_reader(postmortem: Postmortem, user: Any) -> Postmortem | Shown:
    """One postmortem as `user` may read it."""
    return postmortems_for_readers([postmortem], user)[0]
