"""Builder step for paging: a default escalation policy, the hospital's SEV1 policy "Northgate EPR"
(the on-call of "Northgate Health EPR 24×7" when the oncall step made it, then the incident
commander role, then a named manager), and email contact methods for the demo's engineers.

Runs after the incidents step, so the demo's historical incidents page nobody; incidents opened
after the load are paged by these policies."""

from __future__ import annotations

from typing import Any

from opsdesk.accounts.models import User
from opsdesk.oncall.models import Schedule
from opsdesk.paging import contacts, policies

from .context import DemoContext

HOSPITAL_SCHEDULE = "Northgate Health EPR 24×7"


def _schedule_id(name: str) -> int | None:
    """The id of the on-call schedule of that name, if the oncall step made it."""
    row = Schedule.objects.filter(name=name).first()
    return int(row.pk) if row is not None else None


def build_paging(ctx: DemoContext) -> None:
    """Create the policies and the engineers' contact methods."""
    admin = User.objects.get(username="admin")
    commander = User.objects.filter(username="commander").first() or admin
    engineers = list(User.objects.filter(role="engineer", is_active=True).order_by("id"))
    first = engineers[0] if engineers else commander
    policies.create_policy({
        "name": "Default", "description": "Pages the incident's role holders (else its owner), then the commander.",
        "is_default": True, "repeat": 1,
        "steps": [{"target": "roles", "roles": [], "wait_minutes": 15},
                  {"target": "person", "ref": commander.pk, "wait_minutes": 15}],
    }, actor=admin)
    steps: list[dict[str, Any]] = []
    schedule = _schedule_id(HOSPITAL_SCHEDULE)
    if schedule is not None:
        steps.append({"target": "schedule", "ref": schedule, "wait_minutes": 5})
    else:
        steps.append({"target": "person", "ref": first.pk, "wait_minutes": 5})
    steps += [{"target": "roles", "roles": ["commander"], "wait_minutes": 10},
              {"target": "person", "ref": commander.pk, "wait_minutes": 15}]
    northgate = [c for copy in ctx.clients for c in copy if c.code == "northgate"]
    policies.create_policy({
        "name": "Northgate EPR", "description": f"SEV1 pages the on-call of {HOSPITAL_SCHEDULE} at once.",
        "client": northgate[0].pk if northgate else None, "repeat": 2,
        "severity_rules": {"sev1": "page", "sev2": "page", "sev3": "business_hours", "sev4": "ticket"},
        "steps": steps,
    }, actor=admin)
    for user in engineers[:50]:
        contacts.add_contact_method(user, {"kind": "email", "label": "work email"})
