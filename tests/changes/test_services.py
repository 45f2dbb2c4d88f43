"""Change use cases on a real database: derived data, the one transition function, decisions, review."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes import queries, services
from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import timeline
from opsdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from opsdesk.core.fsm import InvalidTransition
from opsdesk.core.models import ScheduleEntry
from tests import factories as f

from .helpers import NIGHT, OFFICE, force_state, make_change, submit, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def e():
    client = f.make_client(name="Northgate Health")
    lon = f.make_site(code="lon-dc1", clients=[client])
    storage = f.make_service(client, sites=[lon], name="Storage array", criticality=4)
    epr = f.make_service(client, sites=[lon], name="EPR", criticality=4)
    f.depend(epr, storage)
    printing = f.make_service(client, sites=[lon], name="Print", criticality=1)
    return type("Estate", (), {
        "client": client, "lon": lon, "storage": storage, "epr": epr, "print": printing,
        "owner": user("engineer"), "peer": user("engineer"),
        "ca": user("change_approver"), "ca2": user("change_approver"),
        "client_user": user("client", client=client), "admin": user("admin"),
    })


def entry(change: ChangeRequest) -> ScheduleEntry | None:
    return ScheduleEntry.objects.filter(ref=f"changes.changerequest:{change.pk}").first()


def summaries(change: ChangeRequest) -> list[str]:
    return [a.summary for a in timeline.for_object(change)]


def test_create_derives_owner_sites_clients_and_risk(e):
    change = make_change(e.owner, services_=[e.print])
    assert change.owner == e.owner
    assert [s.pk for s in change.sites.all()] == [e.lon.pk]  # where the service runs
    assert [c.pk for c in change.clients.all()] == [e.client.pk]
    assert change.risk_level == "low" and change.risk["components"]
    assert summaries(change)[0] == "Change request created"
    assert entry(change) is None  # a draft occupies no time


def test_create_refuses_bad_window_and_unknown_ids(e):
    with pytest.raises(InvalidInput, match="window_end"):
        make_change(e.owner, minutes=-30)
    with pytest.raises(InvalidInput, match="unknown service id"):
        services.create_change({"title": "x", "services": [999999], "window_start": NIGHT,
                                "window_end": NIGHT + dt.timedelta(hours=1)}, actor=e.owner)
    with pytest.raises(InvalidInput, match="owner"):
        make_change(e.owner, owner=e.client_user.pk)
    assert ChangeRequest.objects.count() == 0


def test_submission_needs_the_plans_of_its_type(e):
    change = make_change(e.owner, services_=[e.print], rollback_plan=None)
    with pytest.raises(Conflict, match="rollback plan"):
        submit(change, e.owner)
    services.update_change(change, {"rollback_plan": {"steps": "s", "trigger": "t", "duration_minutes": 5}},
                           actor=e.owner)
    assert submit(change, e.owner).state == "submitted"
    standard = make_change(e.owner, services_=[e.print], type="standard", rollback_plan=None, verification_plan="")
    assert submit(standard, e.owner).state == "submitted"


def test_schedule_follows_the_state(e):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    assert (entry(change).state, entry(change).maintenance) == ("submitted", False)
    assert entry(change).client_ids == [e.client.pk]
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    assert change.state == "approved"
    assert entry(change).maintenance is True
    change = force_state(change, ["scheduled", "implementing"], e.owner)
    assert (entry(change).state, entry(change).maintenance) == ("implementing", True)
    change = services.transition_change(change, "completed", actor=e.owner, reason="done")
    assert change.completed_at is not None
    kept = entry(change)  # kept for "what changed", no longer a maintenance period
    assert (kept.state, kept.maintenance) == ("completed", False)
    assert {t.target_id for t in kept.targets.filter(kind="service")} == {e.print.pk}

    other = submit(make_change(e.owner, services_=[e.print], title="other"), e.owner)
    assert entry(other) is not None
    services.transition_change(other, "cancelled", actor=e.owner, reason="vendor delay")
    assert entry(other) is None


def test_every_transition_is_on_the_timeline_with_its_reason(e):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    services.transition_change(change, "cancelled", actor=e.owner, reason="vendor delay")
    assert "State draft → submitted: ready" in summaries(change)
    assert "State submitted → cancelled: vendor delay" in summaries(change)
    with pytest.raises(InvalidTransition, match="final state"):
        services.transition_change(change, "draft", actor=e.owner)


def test_some_transitions_need_a_reason(e):
    change = make_change(e.owner, services_=[e.print])
    with pytest.raises(InvalidInput, match="reason"):
        services.transition_change(change, "cancelled", actor=e.owner, reason=" ")


def test_rejected_only_by_a_decision_and_approved_only_with_approvals(e):
    change = force_state(submit(make_change(e.owner, services_=[e.print]), e.owner), ["assessing"], e.owner)
    with pytest.raises(Conflict, match="approver's decision"):
        services.transition_change(change, "rejected", actor=e.owner)
    with pytest.raises(Conflict, match="still needs a peer"):
        services.transition_change(change, "approved", actor=e.owner)


def test_low_risk_is_approved_by_one_peer(e):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved", comment="fine")
    assert change.state == "approved"
    text = summaries(change)
    assert "Approved as peer: fine" in text
    assert any(s.startswith("State assessing → approved: all required approvals are in (a peer)") for s in text)


def test_approving_ones_own_change_is_refused(e):
    change = submit(make_change(e.ca, services_=[e.print]), e.ca)
    with pytest.raises(PermissionDenied, match="own"):
        services.decide(change, e.ca, capacity="change_approver", decision="approved")
    assert change.approvals.count() == 0


def test_capacity_must_fit_the_person(e):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    with pytest.raises(PermissionDenied):
        services.decide(change, e.peer, capacity="change_approver", decision="approved")
    with pytest.raises(PermissionDenied):
        services.decide(change, e.client_user, capacity="peer", decision="approved")
    with pytest.raises(InvalidInput):
        services.decide(change, e.peer, capacity="boss", decision="approved")


def test_medium_risk_needs_a_change_approver(e):
    change = submit(make_change(e.owner, services_=[e.epr]), e.owner)
    assert change.risk_level == "medium"
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    assert change.state == "assessing"
    with pytest.raises(Conflict, match="still needs a change approver"):
        services.transition_change(change, "approved", actor=e.owner)
    with pytest.raises(Conflict, match="already decided"):
        services.decide(change, e.peer, capacity="peer", decision="approved")
    assert services.decide(change, e.ca, capacity="change_approver", decision="approved").state == "approved"


def test_high_risk_needs_two_approvers_and_the_clients_approver(e):
    change = submit(make_change(e.owner, services_=[e.storage], start=OFFICE), e.owner)
    assert change.risk_level == "high", change.risk
    change = services.decide(change, e.ca, capacity="change_approver", decision="approved")
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    assert change.state == "assessing"
    status = queries.approval_status(change, change.risk_level, [])
    assert status.missing == ("a client approver for Northgate Health",)
    change = services.decide(change, e.client_user, capacity="client", decision="approved")
    assert change.state == "approved"


def test_a_rejection_rejects_and_a_new_draft_starts_afresh(e):
    change = submit(make_change(e.owner, services_=[e.epr]), e.owner)
    with pytest.raises(InvalidInput, match="comment"):
        services.decide(change, e.ca, capacity="change_approver", decision="rejected")
    change = services.decide(change, e.ca, capacity="change_approver", decision="rejected", comment="too risky")
    assert change.state == "rejected" and entry(change) is None
    assert any("rejected by" in s and "too risky" in s for s in summaries(change))
    change = services.transition_change(change, "draft", actor=e.owner, reason="reworked")
    assert change.approvals.count() == 0
    change = submit(change, e.owner)
    assert services.decide(change, e.ca, capacity="change_approver", decision="approved").state == "approved"


@pytest.fixture
def freeze(e):
    return ChangeWindow.objects.create(
        kind="freeze", name="Summer freeze", site=e.lon, start_on=dt.date(2030, 6, 1),
        start_time=dt.time(0, 0), duration_minutes=3 * 24 * 60,
    )


def test_a_normal_change_inside_a_freeze_cannot_be_approved(e, freeze):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    assert change.state == "assessing"
    with pytest.raises(Conflict) as err:
        services.transition_change(change, "approved", actor=e.owner)
    assert "lon-dc1" in err.value.detail and "Summer freeze" in err.value.detail
    with pytest.raises(PermissionDenied, match="emergency"):
        services.decide(change, e.ca, capacity="emergency", decision="approved")


def test_an_emergency_change_inside_a_freeze_needs_an_emergency_approval(e, freeze):
    change = submit(make_change(e.owner, services_=[e.print], type="emergency"), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    assert change.state == "assessing"
    missing = queries.approval_status(change, change.risk_level, queries.window_violations(change)).missing
    assert missing == ("a change approver", "an emergency approval (change approver or admin)")  # medium risk
    change = services.decide(change, e.ca, capacity="change_approver", decision="approved")
    assert change.state == "assessing"
    assert services.decide(change, e.ca2, capacity="emergency", decision="approved").state == "approved"


def test_editing_resets_approvals_and_is_refused_once_approved(e):
    change = submit(make_change(e.owner, services_=[e.epr]), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    change = services.update_change(change, {"title": "Patch EPR"}, actor=e.owner)
    assert change.approvals.count() == 0
    assert any(s.startswith("Approvals reset") for s in summaries(change))
    change = services.decide(change, e.ca, capacity="change_approver", decision="approved")
    with pytest.raises(Conflict, match="can no longer be edited"):
        services.update_change(change, {"title": "late"}, actor=e.owner)


def test_updating_recomputes_clients_risk_and_schedule(e):
    other = f.make_client(name="Beta Bank")
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    new_site = f.make_site(clients=[other])
    change = services.update_change(
        change, {"services": [e.epr.pk], "sites": [e.lon.pk, new_site.pk], "window_start": OFFICE,
                 "window_end": OFFICE + dt.timedelta(hours=1)}, actor=e.owner)
    assert {c.pk for c in change.clients.all()} == {e.client.pk, other.pk}
    parts = {c["name"]: c["points"] for c in change.risk["components"]}
    assert (parts["business_hours"], parts["criticality"], change.risk_level) == (15, 25, "medium")
    assert entry(change).start_at == OFFICE
    assert {t.target_id for t in entry(change).targets.filter(kind="site")} == {e.lon.pk, new_site.pk}


def implemented(e, end: str = "completed", **kw) -> ChangeRequest:
    change = submit(make_change(e.owner, services_=[e.print], **kw), e.owner)
    change = services.decide(change, e.peer, capacity="peer", decision="approved")
    return force_state(change, ["scheduled", "implementing", end], e.owner)


def test_review_moves_a_finished_change_to_reviewed(e):
    change = implemented(e, "rolled_back")
    assert change.outcome == "rolled_back"
    with pytest.raises(InvalidInput, match="outcome rolled_back"):
        services.record_review(change, outcome="successful", caused_incident=False, lessons="x", actor=e.owner)
    with pytest.raises(Conflict, match="review"):
        services.transition_change(change, "reviewed", actor=e.owner)
    change = services.record_review(change, outcome="rolled_back", caused_incident=True,
                                    lessons="Test the rollback first", actor=e.owner)
    assert (change.state, change.caused_incident, change.lessons) == ("reviewed", True, "Test the rollback first")
    assert entry(change) is not None
    change = services.transition_change(change, "closed", actor=e.owner)
    assert entry(change).state == "closed"



def test_the_review_is_its_own_timeline_entry_with_before_and_after(e):
    change = implemented(e, "rolled_back")
    services.record_review(change, outcome="rolled_back", caused_incident=True, lessons="Test the rollback first",
                           actor=e.owner)
    reviews = [a for a in timeline.for_object(change) if a.verb == "reviewed"]
    assert len(reviews) == 1, [a.verb for a in timeline.for_object(change)]
    review = reviews[0]
    assert review.actor_label == e.owner.get_username()
    assert review.changes["lessons"] == ["", "Test the rollback first"]
    assert review.changes["caused_incident"] == [False, True]
    assert "rolled back" in review.summary and "Test the rollback first" in review.summary


def test_link_incident(e):
    draft = make_change(e.owner, services_=[e.print])
    with pytest.raises(Conflict):
        services.link_incident(draft, actor=e.owner)
    change = services.link_incident(implemented(e), actor=e.owner, incident="INC-7")
    assert change.caused_incident
    assert "Caused an incident: INC-7" in summaries(change)


def test_only_drafts_can_be_deleted(e):
    change = submit(make_change(e.owner, services_=[e.print]), e.owner)
    with pytest.raises(Conflict, match="Only drafts"):
        services.delete_change(change, actor=e.owner)
    draft = make_change(e.owner, services_=[e.print])
    services.delete_change(draft, actor=e.owner)
    assert not ChangeRequest.objects.filter(pk=draft.pk).exists()


def test_failure_history_raises_the_risk_of_similar_changes(e):
    implemented(e, "failed", title="one")
    implemented(e, "completed", title="two")
    change = make_change(e.owner, services_=[e.print])
    history = next(c for c in change.risk["components"] if c["name"] == "failure_history")
    assert history["points"] == 10 and "1 of 2 similar changes" in history["detail"]


def test_failure_rate_by_service_team_region_and_client(e, admin_user):
    implemented(e, "failed", team="storage")
    implemented(e, "completed", team="storage")
    ok = implemented(e, "completed", team="apps")
    services.link_incident(ok, actor=e.owner)
    submit(make_change(e.owner, services_=[e.print], team="apps"), e.owner)  # not implemented: not counted
    by_service = queries.failure_rate(admin_user, "service")
    assert by_service == [{"key": str(e.print.pk), "label": "Print", "implemented": 3, "failures": 2, "rate": 0.6667}]
    teams = {r["label"]: (r["implemented"], r["failures"]) for r in queries.failure_rate(admin_user, "team")}
    assert teams == {"apps": (1, 1), "storage": (2, 1)}
    assert [r["label"] for r in queries.failure_rate(admin_user, "region")] == [e.lon.region.name]
    assert queries.failure_rate(admin_user, "client")[0]["label"] == "Northgate Health"
    assert queries.failure_rate(user("client", client=f.make_client()), "client") == []
