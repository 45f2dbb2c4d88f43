"""Work-order use cases on a real database: creation rules, the gate, overrides, assignment, rework,
visits on core.schedule, comments, check-in/out, notifications."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock, schedule
from opsdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from opsdesk.core.models import Activity, Notification
from opsdesk.core.timeline import for_object
from opsdesk.workorders import services
from opsdesk.workorders.models import Override, WorkOrder
from tests import factories as f
from tests.workorders.builders import CHECKLIST, END, NOW, START, H, arrange, data, make, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def test_staff_create_defaults_owner_and_state(w):
    with clock.frozen(NOW):
        wo = services.create_work_order(data(w), actor=w["desk"])
    assert (wo.owner, wo.state, wo.client, wo.site) == (w["desk"], "submitted", w["client"], w["site"])
    # The access request is not arranged: blocked, owned by the client, needed 72 h before the window.
    assert wo.blocked and not wo.at_risk and wo.next_needed_by == START - 72 * H
    keys = [b["key"] for b in wo.readiness["blockers"]]
    assert keys == [f"requirement:{w['access'].pk}"]
    draft = services.create_work_order(data(w, state="draft"), actor=w["desk"])
    assert draft.state == "draft" and not draft.blocked  # drafts are not in the open states


def test_client_request_is_submitted_owned_by_the_service_desk(w):
    other = f.make_client()
    with clock.frozen(NOW):
        wo = services.create_work_order(data(w, client=None, owner=None), actor=w["client_user"])
    assert (wo.state, wo.client, wo.owner) == ("submitted", w["client"], w["desk"])
    assert wo.team == f"Service desk {w['region'].code}"
    assert Notification.objects.filter(user=w["desk"], title__startswith=f"New request WO-{wo.pk}").exists()
    assert for_object(wo, client_visible_only=True).filter(verb="submitted").exists()
    with pytest.raises(InvalidInput) as exc:
        services.create_work_order(data(w, client=other.pk), actor=w["client_user"])
    assert exc.value.errors[0]["field"] == "client"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"window_end": START - H}, "window_end"),
        ({"window_end": None}, "window_end"),
        ({"category": "juggling"}, "category"),
        ({"required_skills": ["no-such-skill"]}, "required_skills"),
        ({"services": [0]}, "services"),
    ],
)
def test_create_validates(w, change, field):
    with pytest.raises(InvalidInput) as exc:
        services.create_work_order(data(w, **change), actor=w["desk"])
    assert exc.value.errors[0]["field"] == field


def test_site_must_serve_the_client_and_services_belong_to_it(w):
    stranger = f.make_client()
    elsewhere = f.make_site(clients=[stranger])
    with pytest.raises(InvalidInput, match="does not serve"):
        services.create_work_order(data(w, site=elsewhere.pk), actor=w["desk"])
    with pytest.raises(InvalidInput, match="not services of this client"):
        services.create_work_order(data(w, services=[f.make_service(stranger).pk]), actor=w["desk"])


def test_gate_refuses_with_owner_and_needed_by_then_arrangement_opens_it(w):
    wo = make(w, "readiness")
    with clock.frozen(NOW), pytest.raises(Conflict) as exc:
        services.transition_work_order(wo, "ready", actor=w["desk"], reason="try")
    detail = exc.value.detail
    assert "cannot move to ready" in detail and "Owner: you, the client" in detail
    assert "Sat 1 Jun 10:00 Europe/London" in detail  # 72 h before Tue 4 Jun 10:00 BST, in site time
    assert "lon-a" in detail  # the rule names the site requirement
    [error] = exc.value.errors
    assert error["owner"] == "client" and error["needed_by"] == (START - 72 * H).isoformat()
    arrange(w, wo)
    wo.refresh_from_db()
    assert not wo.blocked
    with clock.frozen(NOW):
        wo = services.transition_work_order(wo, "ready", actor=w["desk"], reason="arranged")
    assert wo.state == "ready"


def test_override_lets_the_gate_pass_and_is_recorded(w):
    wo = make(w, "readiness")
    key = f"requirement:{w['access'].pk}"
    with pytest.raises(PermissionDenied):
        services.override_blocker(wo, key, reason="urgent", actor=w["desk"])
    with clock.frozen(NOW):
        services.override_blocker(wo, key, reason="The client phoned security", actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = services.transition_work_order(wo, to, actor=w["dispatcher"], reason="go")
    assert wo.state == "dispatched" and not wo.blocked
    override = Override.objects.get(work_order=wo)
    assert (override.blocker, override.by) == (key, w["dispatcher"])
    assert for_object(wo).filter(verb="blocker_overridden", summary__contains="phoned security").exists()
    with pytest.raises(InvalidInput):
        services.override_blocker(wo, "nonsense", reason="x", actor=w["dispatcher"])


def test_invalid_transition_is_conflict_with_allowed_states(w):
    wo = make(w)
    with pytest.raises(Conflict, match="From 'submitted' it can move to: cancelled, triage"):
        services.transition_work_order(wo, "closed", actor=w["desk"])
    with pytest.raises(InvalidInput, match="reason"):
        services.transition_work_order(wo, "cancelled", actor=w["desk"])


def _to_on_site(w, wo):
    arrange(w, wo)
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = services.transition_work_order(wo, to, actor=w["dispatcher"], reason="go")
    with clock.frozen(START):
        wo = services.check_in(wo, actor=w["engineer_user"])
    return wo


def test_visit_entry_follows_the_state(w):
    wo = make(w, "readiness")
    ref = schedule.ref_for(wo)
    arrange(w, wo)
    with clock.frozen(NOW):
        wo = services.transition_work_order(wo, "ready", actor=w["desk"], reason="go")
        assert not schedule.overlapping(START, END, site_ids=[w["site"].pk])
        wo = services.transition_work_order(wo, "scheduled", actor=w["dispatcher"], reason="slot")
    [visit] = schedule.overlapping(START, END, site_ids=[w["site"].pk])
    assert (visit.ref, visit.kind, visit.state) == (ref, "visit", "scheduled")
    assert visit.service_ids == {w["service"].pk}
    with clock.frozen(NOW):
        services.transition_work_order(wo, "cancelled", actor=w["desk"], reason="withdrawn")
    assert not schedule.overlapping(START, END, site_ids=[w["site"].pk])


def test_check_in_and_out_complete_the_work_with_a_client_visible_report(w):
    wo = make(w, "readiness")
    wo = _to_on_site(w, wo)
    assert wo.state == "on_site" and WorkOrder.objects.get(pk=wo.pk).checked_in_at == START
    with pytest.raises(InvalidInput, match="not done: Both ends labelled"):
        services.check_out(wo, report="Done", checklist={CHECKLIST[0]: True}, actor=w["engineer_user"])
    with pytest.raises(PermissionDenied):
        services.check_out(wo, report="Done", checklist=dict.fromkeys(CHECKLIST, True), actor=f.make_user("engineer"))
    with clock.frozen(END):
        wo = services.check_out(wo, report="Four links run and tested.", checklist=dict.fromkeys(CHECKLIST, True),
                                actor=w["engineer_user"])
    assert (wo.state, wo.completed_at, wo.first_time_fix) == ("completed", END, True)
    assert wo.completion_report == "Four links run and tested."
    visible = for_object(wo, client_visible_only=True)
    assert visible.filter(verb="completion_report").exists() and visible.filter(verb="transitioned").exists()
    assert not schedule.overlapping(START, END, site_ids=[w["site"].pk])  # completed: no longer a visit
    wo = services.verify(wo, actor=w["desk"])
    assert services.close(wo, actor=w["desk"]).state == "closed"


def test_rework_marks_the_original_not_a_first_time_fix(w):
    wo = _to_on_site(w, make(w, "readiness"))
    with clock.frozen(END):
        wo = services.check_out(wo, report="Done", checklist=dict.fromkeys(CHECKLIST, True), actor=w["engineer_user"])
    assert wo.first_time_fix is True
    with clock.frozen(END + H):
        rework = services.create_work_order(data(w, title="Links failing again", rework_of=wo.pk), actor=w["client_user"])
    wo.refresh_from_db()
    assert rework.rework_of == wo and wo.first_time_fix is False
    assert for_object(wo, client_visible_only=True).filter(verb="rework_raised").exists()


def test_comments_keep_internal_and_client_apart(w):
    wo = make(w)
    services.add_comment(wo, "Margin is thin", visibility="internal", actor=w["desk"])
    services.add_comment(wo, "Can you confirm the room?", visibility="client", actor=w["desk"])
    reply = services.add_comment(wo, "Room 4", actor=w["client_user"])
    assert reply.visibility == "client"
    with pytest.raises(PermissionDenied):
        services.add_comment(wo, "sneaky", visibility="internal", actor=w["client_user"])
    summaries = set(for_object(wo, client_visible_only=True).filter(verb="commented").values_list("summary", flat=True))
    assert summaries == {"Can you confirm the room?", "Room 4"}
    assert Notification.objects.filter(user=wo.owner, title__contains="Message from the client").exists()


def test_client_may_record_only_their_own_arrangements(w):
    wo = make(w, "readiness")
    escort = f.make_requirement(w["site"], kind="escort", description="Escort", lead_time_hours=24)
    with clock.frozen(NOW):
        with pytest.raises(PermissionDenied):
            services.record_arrangement(wo, escort.pk, state="approved", actor=w["client_user"])
        services.record_arrangement(wo, w["access"].pk, state="submitted", reference="A-1", actor=w["client_user"])
    wo.refresh_from_db()
    assert wo.blocked  # submitted, not approved
    entry = for_object(wo, client_visible_only=True).get(verb="arrangement_recorded")
    assert "submitted" in entry.summary


def test_assign_notifies_the_engineer_and_an_ineligible_one_shows_as_a_blocker(w):
    wo = make(w, "readiness")
    arrange(w, wo)
    stranger = f.make_engineer(w["region"])  # no access at the site
    with clock.frozen(NOW):
        services.assign(wo, stranger.pk, actor=w["dispatcher"])
    wo.refresh_from_db()
    assert wo.blocked and [b["key"] for b in wo.readiness["blockers"]] == ["engineer"]
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
    wo.refresh_from_db()
    assert not wo.blocked
    assert Notification.objects.filter(user=w["engineer_user"], title=f"WO-{wo.pk} assigned to you").exists()


def test_update_recomputes_readiness_and_owner_change_is_a_handoff(w):
    wo = make(w, "readiness")
    with clock.frozen(NOW):
        wo = services.update_work_order(wo, {"window_start": None, "window_end": None}, actor=w["desk"])
    assert {b["key"] for b in wo.readiness["blockers"]} >= {"window"}
    assert wo.next_needed_by is None  # without a window nothing has a needed-by date
    with clock.frozen(NOW):
        wo = services.update_work_order(wo, {"owner": w["dispatcher"].pk, "team": "Dispatch"}, actor=w["desk"])
    handoff = wo.handoffs.get()
    assert (handoff.from_user, handoff.to_user, handoff.to_team, wo.owner) == (w["desk"], w["dispatcher"], "Dispatch", w["dispatcher"])
    with pytest.raises(InvalidInput):
        services.update_work_order(wo, {"state": "ready"}, actor=w["desk"])


def test_my_work_is_the_engineers_day_in_their_zone(w):
    wo = _to_on_site(w, make(w, "readiness"))
    from opsdesk.workorders import queries

    assert list(queries.my_work(w["engineer_user"], dt.date(2030, 6, 4))) == [wo]
    assert list(queries.my_work(w["engineer_user"], dt.date(2030, 6, 6))) == [wo]  # still on site
    assert list(queries.my_work(w["desk"], dt.date(2030, 6, 4))) == []


def test_timeline_records_every_write_once(w):
    wo = make(w, "readiness")
    verbs = list(for_object(wo).values_list("verb", flat=True))
    assert verbs[:2] == ["created", "submitted"] and verbs.count("transitioned") == 2
    assert Activity.objects.filter(verb="transitioned", visibility="client").count() == 2
