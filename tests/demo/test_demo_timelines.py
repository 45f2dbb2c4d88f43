"""One timeline, the demo's included: every demo object that has left its initial state shows on its
timeline how it reached the state it is in (who, when, before and after), every approval and
review appears, and a reviewed change's page tells its history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client as HttpClient

from opsdesk.accounts.models import User
from opsdesk.changes.models import Approval, ChangeRequest
from opsdesk.core.models import Activity
from opsdesk.dispatch.models import Plan
from opsdesk.incidents.models import Incident
from opsdesk.learning.models import ActionItem, Postmortem, Problem
from opsdesk.workorders.models import Arrangement, Handoff, WorkOrder

pytestmark = pytest.mark.usefixtures("demo", "db")


def _entries(model: type[Model]) -> dict[int, list[Activity]]:
    """Every timeline entry of a model's objects, by object id, oldest first."""
    found: dict[int, list[Activity]] = defaultdict(list)
    for entry in Activity.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by("at", "id"):
        found[entry.object_id].append(entry)
    return found


def _reached(entries: list[Activity], state: str, **match: Any) -> list[Activity]:
    """The entries that moved into `state` (changes {'state': [before, state]}) and carry `match`."""
    return [
        e for e in entries
        if ((e.changes or {}).get("state") or [None, None])[1] == state
        and all((e.changes or {}).get(k) == v for k, v in match.items())
        and e.actor_label and e.at is not None
    ]


@pytest.mark.parametrize(("model", "initial"), [
    (ChangeRequest, "draft"), (WorkOrder, "draft"), (Incident, "triggered"), (Problem, "proposed"), (Plan, "proposed"),
])
def test_every_object_out_of_its_initial_state_shows_how_it_got_there(model: type[Model], initial: str) -> None:
    timelines = _entries(model)
    objects = list(model._default_manager.exclude(state=initial).values_list("pk", "state"))
    missing = [(pk, state) for pk, state in objects if not _reached(timelines[pk], state)]
    assert missing == [], f"{model.__name__}s without an entry for reaching their state: {missing[:10]}"
    # ... and every object has a timeline at all (its creation, at least).
    assert [pk for pk in model._default_manager.values_list("pk", flat=True) if not timelines[pk]] == []


def test_postmortems_and_their_actions_show_how_they_got_there() -> None:
    on_incidents = _entries(Incident)
    assert Postmortem.objects.exists() and ActionItem.objects.exclude(state="open").exists()
    for pm in Postmortem.objects.all():
        mine = [e for e in on_incidents[pm.incident_id] if (e.changes or {}).get("postmortem") == pm.pk]
        assert mine, f"postmortem {pm.pk} has no history"
        assert pm.state == "draft" or _reached(mine, pm.state)
    for action in ActionItem.objects.select_related("postmortem"):
        mine = [e for e in on_incidents[action.postmortem.incident_id] if (e.changes or {}).get("action") == action.pk]
        assert mine, f"action {action.pk} has no history"
        assert action.state == "open" or _reached(mine, action.state), (action.title, action.state)


def test_every_arrangement_and_handoff_is_on_its_work_orders_timeline() -> None:
    on_work = _entries(WorkOrder)
    missing = []
    for a in Arrangement.objects.exclude(state="requested"):
        recorded = [(e.changes or {}).get("arrangement") or {} for e in on_work[a.work_order_id]]
        if not any(r.get("requirement") == a.requirement_id and (r.get("state") or [None])[-1] == a.state for r in recorded):
            missing.append(a.pk)
    assert Arrangement.objects.exists() and missing == []
    for handoff in Handoff.objects.all():
        verbs = [e.verb for e in on_work[handoff.work_order_id]]
        assert "handed_off" in verbs
        assert handoff.acknowledged_at is None or "handoff_acknowledged" in verbs


def test_every_approval_and_review_appears_on_its_change() -> None:
    on_changes = _entries(ChangeRequest)
    for approval in Approval.objects.select_related("approver"):
        decided = [
            e for e in on_changes[approval.change_id]
            if e.verb == "decided" and e.actor_id == approval.approver_id and e.at == approval.decided_at
            and e.changes["approvals"][1] == {"approver": approval.approver_id, "capacity": approval.capacity,
                                              "decision": approval.decision}
        ]
        assert decided, f"{approval} is not on the timeline"
    reviewed = ChangeRequest.objects.filter(state__in=["reviewed", "closed"])
    assert reviewed.count() >= 4
    for change in reviewed:
        reviews = [e for e in on_changes[change.pk] if e.verb == "reviewed"]
        assert len(reviews) == 1 and reviews[0].changes["lessons"] == ["", change.lessons], change


def _chg18() -> ChangeRequest:
    """CHG-18 of a fresh demo (found by title: PostgreSQL's sequences do not restart after the
    rolled-back loads of other test modules)."""
    return ChangeRequest.objects.filter(title="Market data feed handler upgrade").order_by("pk")[0]


def _chg18_page(username: str) -> str:
    http = HttpClient()
    http.force_login(User.objects.get(username=username))
    answer = http.get(f"/changes/{_chg18().pk}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_chg18_page_shows_its_approvals_and_its_review_to_staff() -> None:
    change = _chg18()
    assert change.state == "reviewed" and change.approvals.count() == 3
    page = _chg18_page("desk")
    assert "No activity recorded yet" not in page
    for approval in change.approvals.all():
        assert f"Approved as {approval.capacity}" in page
    assert "Review: successful" in page and "reviewed" in page
    assert "State completed → reviewed" in page


def test_chg18_page_shows_a_client_only_its_own_part() -> None:
    page = _chg18_page("client-meridian")
    assert "Approved as change_approver" not in page and "Approved as peer" not in page
