"""Dispatch use cases on a real database: propose, adjust, accept, re-plan, urgent work."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from opsdesk.core.models import Activity
from opsdesk.dispatch import queries, services
from opsdesk.dispatch.answers import plan_answer
from opsdesk.dispatch.models import Plan
from opsdesk.people.models import Absence
from opsdesk.workorders import services as wo_services
from opsdesk.workorders.models import Handoff, WorkOrder
from tests.dispatch.builders import DAY, NOW, at, ready, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick(settings):
    settings.OPSDESK_DISPATCH_SECONDS = 0.3


@pytest.fixture
def w():
    return world()


def propose(w, **kw):
    with clock.frozen(NOW):
        return services.propose_plan(w["region"].code, DAY, actor=w["dispatcher"], **kw)


def engineer_of(answer, wo_id):
    return next((r["engineer"] for r in answer["routes"] for s in r["stops"] if s["work_order"] == wo_id), None)


def test_a_day_is_planned_checked_and_explained(w):
    a = ready(w, "Splice fibre", "09:00", "12:00")
    b = ready(w, "Patch copper", "13:00", "16:00", skill="copper")
    south = ready(w, "Fibre at the south site", "08:00", "12:00", site="south", state="readiness")
    nobody = ready(w, "Splice a subsea cable", "09:00", "12:00", skill="subsea", state="readiness")
    assert south.state == "readiness" and nobody.state == "readiness"  # permitted hours / nobody eligible: dispatch's blockers
    plan = propose(w)
    answer = plan_answer(plan)
    assert answer["checker"] == {"ok": True, "violations": []}
    assert answer["state"] == "proposed" and answer["day"] == "2030-06-04" and answer["region"] == w["region"].code
    assert engineer_of(answer, a.pk) in (w["Ann"].pk, w["Bob"].pk)
    assert engineer_of(answer, b.pk) == w["Cy"].pk
    stop = next(s for r in answer["routes"] for s in r["stops"] if s["work_order"] == south.pk)
    # The south site permits 10:00-14:00 London: the visit lies inside both that and the window.
    assert dt.datetime.fromisoformat(stop["start"]) >= at("10:00")
    assert dt.datetime.fromisoformat(stop["finish"]) <= at("12:00")
    assert [u["work_order"] for u in answer["unassigned"]] == [nobody.pk]
    assert answer["unassigned"][0]["reason"].startswith("no eligible engineer: missing skill Subsea (3)")
    for route in answer["routes"]:
        for s in route["stops"]:
            assert s["arrival"] <= s["start"] < s["finish"] and isinstance(s["travel_minutes"], int)


def test_accepting_schedules_dispatches_and_hands_over(w):
    a = ready(w, "Splice fibre", "09:00", "12:00")
    south = ready(w, "Fibre at the south site", "08:00", "12:00", site="south", state="readiness")
    plan = propose(w)
    with clock.frozen(NOW):
        plan = services.accept_plan(plan, actor=w["dispatcher"])
    assert plan.state == "accepted" and plan.accepted_by == w["dispatcher"]
    for wo in (a, south):
        wo.refresh_from_db()
        stop = plan.stops.get(work_order=wo)
        assert wo.state == "dispatched" and wo.engineer_id == stop.engineer_id
        handoff = Handoff.objects.get(work_order=wo)
        assert handoff.to_user_id == stop.engineer.user_id and handoff.acknowledged_at is None
        verbs = set(Activity.objects.filter(object_id=wo.pk, content_type__model="workorder").values_list("verb", flat=True))
        assert {"planned", "assigned", "transitioned"} <= verbs
    # The permitted-hours blocker was cleared by the plan, with the plan as the recorded reason.
    assert any("inside the permitted hours" in b.get("detail", "") or b.get("overridden") for b in south.readiness["blockers"])
    with clock.frozen(NOW), pytest.raises(Conflict):
        services.accept_plan(plan, actor=w["dispatcher"])


def test_a_plan_that_no_longer_holds_is_not_accepted(w):
    a = ready(w, "Splice fibre", "09:00", "12:00")
    plan = propose(w)
    with clock.frozen(NOW):
        wo_services.transition_work_order(WorkOrder.objects.get(pk=a.pk), "cancelled", actor=w["desk"], reason="client cancelled")
        with pytest.raises(Conflict) as refused:
            services.accept_plan(plan, actor=w["dispatcher"])
    assert "no longer holds" in refused.value.detail
    assert Plan.objects.get(pk=plan.pk).state == "proposed"


def test_replan_after_an_absence_moves_only_the_absent_engineers_work(w):
    jobs = [ready(w, f"Fibre {i}", "09:00", "16:00", minutes=90) for i in range(4)]
    plan = propose(w)
    with clock.frozen(NOW):
        services.accept_plan(plan, actor=w["dispatcher"])
    first = {s.work_order_id: s.engineer_id for s in plan.stops.all()}
    assert set(first) == {j.pk for j in jobs}
    ill = next(e for e in (w["Ann"], w["Bob"]) if e.pk in first.values())
    Absence.objects.create(engineer=ill, start_at=at("00:00"), end_at=at("23:59"), reason="sick")
    replanned = propose(w)
    answer = plan_answer(replanned)
    assert answer["checker"]["ok"] and answer["based_on"] == plan.pk and answer["solver"] == "replan"
    moved = {m["work_order"]: m for m in answer["moved"]}
    assert set(moved) == {wo for wo, e in first.items() if e == ill.pk}
    other = w["Bob"] if ill == w["Ann"] else w["Ann"]
    for m in moved.values():
        assert m["from_engineer"] == ill.pk and m["to_engineer"] in (other.pk, None)
    # The other engineer's dispatched visits are fixed: same engineer, same times.
    for stop in replanned.stops.filter(engineer=other):
        if stop.work_order_id in first and first[stop.work_order_id] == other.pk:
            assert stop.fixed
    with clock.frozen(NOW):
        services.accept_plan(replanned, actor=w["dispatcher"])
    assert Plan.objects.get(pk=plan.pk).state == "superseded"
    for wo_id, m in moved.items():
        wo = WorkOrder.objects.get(pk=wo_id)
        if m["to_engineer"]:
            assert wo.engineer_id == other.pk and wo.state == "dispatched"
        else:
            assert wo.engineer_id is None and wo.state == "ready"


def test_urgent_break_fix_is_inserted_without_moving_anything(w):
    for i in range(3):
        ready(w, f"Fibre {i}", "09:00", "16:00")
    plan = propose(w)
    with clock.frozen(NOW):
        services.accept_plan(plan, actor=w["dispatcher"])
    urgent = ready(w, "Core switch down", "11:00", "13:00", priority="p1", category="break_fix")
    answer = plan_answer(propose(w))
    assert answer["checker"]["ok"]
    assert answer["moved"] == [m for m in answer["moved"] if m["work_order"] == urgent.pk]
    assert [m["change"] for m in answer["moved"]] == ["added"]
    assert engineer_of(answer, urgent.pk) in (w["Ann"].pk, w["Bob"].pk)


def test_moves_are_checked_and_refused_when_they_break_rules(w):
    a = ready(w, "Splice fibre", "09:00", "12:00")
    plan = propose(w)
    with clock.frozen(NOW):
        preview, violations = services.move_stop(plan, a.pk, w["Cy"].pk, dry_run=True, actor=w["dispatcher"])
        assert {v.kind for v in violations} == {"not_eligible"}
        assert not plan_answer(preview)["checker"]["ok"]
        assert Plan.objects.get(pk=plan.pk).violations == []  # nothing saved
        with pytest.raises(Conflict) as refused:
            services.move_stop(plan, a.pk, w["Cy"].pk, actor=w["dispatcher"])
        assert "Cy is not eligible" in refused.value.detail
        target = w["Bob"] if engineer_of(plan_answer(plan), a.pk) == w["Ann"].pk else w["Ann"]
        moved, violations = services.move_stop(plan, a.pk, target.pk, actor=w["dispatcher"])
        assert violations == [] and engineer_of(plan_answer(moved), a.pk) == target.pk
        out, _ = services.move_stop(plan, a.pk, None, actor=w["dispatcher"])
        assert {"work_order": a.pk, "reason": "taken out of the plan by the dispatcher"} in plan_answer(out)["unassigned"]
        with pytest.raises(InvalidInput):
            services.move_stop(plan, 999_999, target.pk, actor=w["dispatcher"])


def test_only_dispatchers_plan(w):
    with clock.frozen(NOW), pytest.raises(PermissionDenied):
        services.propose_plan(w["region"].code, DAY, actor=w["desk"])
    with pytest.raises(PermissionDenied):
        queries.list_plans(w["client_user"])


def test_a_plans_proposal_acceptance_and_supersession_are_on_its_timeline(w):
    from opsdesk.core import timeline

    ready(w, "Splice fibre", "09:00", "12:00")
    first = propose(w)
    with clock.frozen(NOW):
        services.accept_plan(first, actor=w["dispatcher"])
    second = propose(w)
    with clock.frozen(NOW):
        services.accept_plan(second, actor=w["dispatcher"])
    who = w["dispatcher"].get_username()
    states = [(a.actor_label, a.changes.get("state")) for a in timeline.for_object(Plan.objects.get(pk=first.pk))]
    assert states == [(who, [None, "proposed"]), (who, ["proposed", "accepted"]), (who, ["accepted", "superseded"])]
    assert [a.changes.get("state") for a in timeline.for_object(second)][-1] == ["proposed", "accepted"]
