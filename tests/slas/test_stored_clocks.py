"""Stored SLA clocks: recomputed on every change, refreshed by the worker's watch, which warns the
owner at risk and escalates a breach to the team leads, each once."""

from __future__ import annotations

import pytest

from opsdesk.core import clock
from opsdesk.core.models import Activity, Notification
from opsdesk.incidents import services as incident_services
from opsdesk.slas import notices, recompute, services
from opsdesk.slas.models import SlaClockState
from opsdesk.slas.targets import WORK_ORDER
from tests import factories as f
from tests.slas.test_clocks import _move, _policy, _work_order, at
from tests.workorders.builders import world

pytestmark = pytest.mark.django_db


def _stored(obj, kind=WORK_ORDER):
    return {s.target: s for s in SlaClockState.objects.filter(kind=kind, object_id=obj.pk)}


def _titles(user):
    return [n.title for n in Notification.objects.filter(user=user).order_by("id")]


@pytest.fixture
def w():
    return world()


def test_every_transition_recomputes_the_stored_clocks(w):
    _policy()
    wo = _work_order(w)  # responded Mon 10:45 BST, on hold from 11:00 BST
    stored = _stored(wo)
    assert stored["response"].status == "met" and stored["response"].settled_at == at(20, 9, 45)
    assert (stored["onsite"].status, stored["onsite"].next_check_at) == ("paused", None)
    assert stored["onsite"].client_id == w["client"].pk and stored["onsite"].site_id == w["site"].pk
    _move(wo, "readiness", at(21, 8), w["desk"])  # Tue 09:00 BST, 60 of 480 on-site minutes used
    onsite = _stored(wo)["onsite"]
    # 75 % (360 min) at Tue 14:00 BST, the target (480 min) at 16:00 BST.
    assert (onsite.status, onsite.next_check_at, onsite.due_at) == ("running", at(21, 13), at(21, 15))


def test_the_watch_warns_the_owner_once_then_escalates_the_breach_once(w):
    _policy()
    admin = f.make_user("admin")
    wo = _work_order(w)
    _move(wo, "readiness", at(21, 8), w["desk"])
    owner = wo.owner
    with clock.frozen(at(21, 12, 59)):
        assert notices.watch()["at_risk"] == 0
    with clock.frozen(at(21, 13, 1)):
        assert notices.watch() == {"refreshed": 3, "at_risk": 1, "breached": 0}
    assert _stored(wo)["onsite"].status == "at_risk"
    assert _titles(owner) == [f"SLA at risk: WO-{wo.pk} ({wo.title})"]
    with clock.frozen(at(21, 13, 30)):
        assert notices.watch()["at_risk"] == 0  # told once
    with clock.frozen(at(21, 15, 1)):
        result = notices.watch()
    assert result["breached"] == 1
    assert _titles(admin) == [f"SLA breached: WO-{wo.pk} ({wo.title})"]
    assert _titles(owner)[-1] == f"SLA breached: WO-{wo.pk} ({wo.title})"
    onsite = _stored(wo)["onsite"]
    assert (onsite.status, onsite.settled_at) == ("breached", at(21, 15))
    with clock.frozen(at(21, 16)):
        assert notices.watch()["breached"] == 0  # escalated once
    verbs = list(Activity.objects.filter(object_id=wo.pk, verb__startswith="sla_").values_list("verb", flat=True))
    assert verbs == ["sla_at_risk", "sla_breached"]


def test_an_old_breach_seen_late_is_stamped_not_paged(w):
    _policy()
    admin = f.make_user("admin")
    wo = _work_order(w)
    _move(wo, "readiness", at(21, 8), w["desk"])
    with clock.frozen(at(24, 15)):  # three days after the on-site target passed: first watch since
        assert notices.watch()["breached"] == 0
    assert _titles(admin) == []
    assert _stored(wo)["onsite"].breach_escalated_at is not None


def test_met_clocks_stop_being_checked_and_cancelled_ones_settle_nothing(w):
    _policy()
    wo = _work_order(w)
    _move(wo, "cancelled", at(20, 11), w["desk"])
    stored = _stored(wo)
    assert {t: s.status for t, s in stored.items()} == {"response": "met", "onsite": "cancelled",
                                                         "resolution": "cancelled"}
    assert all(s.next_check_at is None for s in stored.values())
    assert stored["onsite"].settled_at is None


def test_no_policy_no_rows_and_a_new_policy_reaches_open_work(w):
    wo = _work_order(w)
    assert _stored(wo) == {}
    _policy()
    assert _stored(wo) == {}  # the policy's recompute is a task, enqueued
    with clock.frozen(at(20, 20)):
        assert recompute.recompute_open(WORK_ORDER) == 3
    assert set(_stored(wo)) == {"response", "onsite", "resolution"}


def test_incidents_get_stored_clocks_from_their_declaration():
    services.create_policy({"name": "SEV2", "applies_to": "incident", "level": "sev2", "response_minutes": 15,
                            "resolution_minutes": 240, "business_hours": False}, actor=None)
    commander = f.make_user("incident_commander")
    with clock.frozen(at(20, 9)):
        incident = incident_services.declare_incident({"title": "Checkout down", "severity": "sev2"}, actor=commander)
    stored = _stored(incident, "incident")
    assert stored["response"].status == "running" and stored["response"].due_at == at(20, 9, 15)
    with clock.frozen(at(20, 9, 20)):
        notices.watch()
    assert _stored(incident, "incident")["response"].status == "breached"
    with clock.frozen(at(20, 9, 25)):
        incident_services.transition_incident(incident, "acknowledged", actor=commander)
    response = _stored(incident, "incident")["response"]
    assert (response.status, response.settled_at) == ("breached", at(20, 9, 15))
