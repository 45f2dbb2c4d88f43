"""Handoffs: a change of owner or team with a summary, acknowledged by the receiver; unacknowledged
ones escalate (receiver, then the sender and admins) once per level; at-risk blockers notify their owners once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from opsdesk.core import clock, periodic
from opsdesk.core.errors import Conflict, InvalidInput, PermissionDenied
from opsdesk.core.models import Notification
from opsdesk.core.timeline import for_object
from opsdesk.workorders import services, tasks
from tests import factories as f
from tests.workorders.builders import NOW, START, H, make, world

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def w():
    return world()


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def hand(w, wo, **kw):
    with clock.frozen(NOW):
        return services.hand_off(
            wo, to_user=kw.pop("to_user", w["dispatcher"]), to_team=kw.pop("to_team", "Dispatch EMEA"),
            done_so_far="Checked the schedule", next_step="Book an engineer", open_questions="Which loading bay?",
            links=["https://wiki.example/runbook"], actor=kw.pop("actor", w["desk"]),
        )


def test_handoff_changes_owner_and_team_and_notifies_the_receiver(w):
    wo = make(w)
    handoff = hand(w, wo)
    wo.refresh_from_db()
    assert (wo.owner, wo.team) == (w["dispatcher"], "Dispatch EMEA")
    from_team = f"Service desk {w['region'].code}"  # the default team of new work: the region's desk
    assert (handoff.from_user, handoff.to_user, handoff.from_team) == (w["desk"], w["dispatcher"], from_team)
    assert handoff.acknowledged_at is None and handoff.links == ["https://wiki.example/runbook"]
    assert inbox(w["dispatcher"]) == [f"WO-{wo.pk} handed to you: {wo.title}"]
    body = Notification.objects.get(user=w["dispatcher"]).body
    assert "Next step: Book an engineer" in body and "Open questions: Which loading bay?" in body
    assert for_object(wo).filter(verb="handed_off").exists()


def test_only_the_receiver_acknowledges_and_twice_is_once(w):
    handoff = hand(w, make(w))
    with pytest.raises(PermissionDenied):
        services.acknowledge_handoff(handoff, actor=w["desk"])
    with clock.frozen(NOW + 5 * MIN):
        services.acknowledge_handoff(handoff, actor=w["dispatcher"])
        again = services.acknowledge_handoff(handoff, actor=w["dispatcher"])
    assert again.acknowledged_at == NOW + 5 * MIN
    assert for_object(handoff.work_order).filter(verb="handoff_acknowledged").count() == 1


def test_handoff_needs_a_next_step_a_staff_receiver_and_a_change(w):
    wo = make(w)
    with pytest.raises(InvalidInput, match="next_step"):
        services.hand_off(wo, to_user=w["dispatcher"], next_step="", actor=w["desk"])
    with pytest.raises(InvalidInput, match="to_user"):
        services.hand_off(wo, to_user=w["client_user"], next_step="x", actor=w["desk"])
    with pytest.raises(Conflict, match="nothing to hand off"):
        services.hand_off(wo, to_user=w["desk"], next_step="x", actor=w["desk"])


def test_taking_over_yourself_is_acknowledged_at_once(w):
    handoff = hand(w, make(w), to_user=w["dispatcher"], actor=w["dispatcher"])
    assert handoff.acknowledged_at == NOW and inbox(w["dispatcher"]) == []


@override_settings(OPSDESK_HANDOFF_ACK_MINUTES=30)
def test_escalation_reminds_the_receiver_then_tells_the_lead_once_each(w):
    admin = f.make_user("admin")
    wo = make(w)
    hand(w, wo)
    receiver_titles = [f"WO-{wo.pk} handed to you: {wo.title}"]
    with clock.frozen(NOW + 29 * MIN):
        assert tasks.escalate_unacknowledged.call() == 0
    with clock.frozen(NOW + 30 * MIN):
        assert tasks.escalate_unacknowledged.call() == 1
        assert tasks.escalate_unacknowledged.call() == 0  # idempotent
    receiver_titles.append(f"Reminder: acknowledge the handoff of WO-{wo.pk}")
    assert inbox(w["dispatcher"]) == receiver_titles
    assert inbox(w["desk"]) == [] and inbox(admin) == []
    with clock.frozen(NOW + 60 * MIN):
        assert tasks.escalate_unacknowledged.call() == 1
        assert tasks.escalate_unacknowledged.call() == 0
    assert inbox(w["desk"]) == [f"Unacknowledged handoff: WO-{wo.pk}"] == inbox(admin)
    assert inbox(w["dispatcher"]) == receiver_titles  # level 2 goes to the lead, not the receiver again
    with clock.frozen(NOW + 600 * MIN):
        assert tasks.escalate_unacknowledged.call() == 0
    handoff = wo.handoffs.get()
    assert (handoff.escalation_level, handoff.escalated_at) == (2, NOW + 60 * MIN)
    assert for_object(wo).filter(verb="handoff_escalated").count() == 2


@override_settings(OPSDESK_HANDOFF_ACK_MINUTES=10)
def test_acknowledged_handoffs_do_not_escalate_and_a_late_run_sends_both_levels(w):
    first, second = make(w), make(w)
    handoff = hand(w, first)
    hand(w, second)
    with clock.frozen(NOW + MIN):
        services.acknowledge_handoff(handoff, actor=w["dispatcher"])
    with clock.frozen(NOW + 25 * MIN):
        assert tasks.escalate_unacknowledged.call() == 2  # only `second`: both levels, once each
    assert second.handoffs.get().escalation_level == 2 and first.handoffs.get().escalation_level == 0


def test_periodic_jobs_are_registered():
    names = {job.name: job for job in periodic.jobs()}
    assert names["workorders-handoff-escalation"].every == 60
    assert names["workorders-at-risk"].task is tasks.notify_at_risk


def test_at_risk_blockers_notify_their_owner_once(w):
    wo = make(w, "readiness")
    other = f.make_user("client", client=w["client"])
    needed_by = START - 72 * H
    with clock.frozen(needed_by - MIN):
        assert tasks.notify_at_risk.call() == 0
    wo.refresh_from_db()
    assert not wo.at_risk
    with clock.frozen(needed_by + MIN):
        assert tasks.notify_at_risk.call() == 1
        assert tasks.notify_at_risk.call() == 0
    wo.refresh_from_db()
    assert wo.at_risk and wo.readiness["notified"] == [f"requirement:{w['access'].pk}"]
    # The blocker's owner is the client: every user of the client hears of it, once.
    assert inbox(w["client_user"]) == [f"At risk: WO-{wo.pk} {wo.title}"] == inbox(other)
    assert Notification.objects.get(user=other).url == f"/work/portal/{wo.pk}/"
    assert for_object(wo).filter(verb="at_risk_notified").count() == 1
    # A later write keeps the notified mark while the blocker remains.
    with clock.frozen(needed_by + 2 * MIN):
        services.add_comment(wo, "chasing", actor=w["desk"])
        wo = services.update_work_order(wo, {"priority": "p2"}, actor=w["desk"])
        assert wo.at_risk and wo.readiness["notified"] == [f"requirement:{w['access'].pk}"]
        assert tasks.notify_at_risk.call() == 0
