"""SLA clocks of real work orders and incidents, from transitions made through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.incidents import services as incident_services
from opsdesk.slas import services
from opsdesk.slas.clocks import sla_of
from opsdesk.workorders import services as work_services
from tests import factories as f
from tests.workorders.builders import make, world

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day, hour, minute=0):
    return dt.datetime(2030, 5, day, hour, minute, tzinfo=UTC)


CREATED = at(20, 9)  # Mon 20 May 2030 10:00 BST; Mon 27 May is the Spring bank holiday in England


def _policy(**kw):
    data = {"name": "P2", "applies_to": "work_order", "level": "p2", "response_minutes": 60,
            "onsite_minutes": 480, "resolution_minutes": 45 * 60}
    data.update(kw)
    return services.create_policy(data, actor=None)


def _move(wo, to, when, actor):
    with clock.frozen(when):
        return work_services.transition_work_order(wo, to, actor=actor, reason="next")


def _targets(obj, now):
    with clock.frozen(now):
        return {t.target: t for t in sla_of(obj).targets}


@pytest.fixture
def w():
    return world()


def _work_order(w):
    """P2 cabling at the London site, created Mon 10:00 BST, held overnight, on site Tue 11:00 BST."""
    window = {"window_start": at(21, 9, 30), "window_end": at(21, 13)}
    with clock.frozen(CREATED):
        wo = work_services.create_work_order(
            {"client": w["client"].pk, "site": w["site"].pk, "services": [w["service"].pk], "category": "cabling",
             "title": "Run links", "priority": "p2", **window}, actor=w["desk"])
    wo = _move(wo, "triage", at(20, 9, 30), w["desk"])
    wo = _move(wo, "readiness", at(20, 9, 45), w["desk"])  # responded after 45 business minutes
    wo = _move(wo, "on_hold", at(20, 10), w["desk"])  # 11:00 BST: waiting for the client
    return wo


def test_response_met_and_the_hold_pauses_the_other_clocks(w):
    _policy()
    wo = _work_order(w)
    held = _targets(wo, at(20, 20))  # 21:00 BST, still on hold
    assert held["response"].status == "met"
    assert held["response"].elapsed_minutes == 45
    assert held["response"].stopped_at == at(20, 9, 45)
    assert held["onsite"].status == "paused"
    assert held["onsite"].elapsed_minutes == 60  # 10:00-11:00 BST, then held
    assert held["onsite"].paused_minutes == 7 * 60  # 11:00-18:00 BST business time on hold
    assert held["onsite"].due_at is None


def test_onsite_met_and_resolution_due_after_the_bank_holiday(w):
    _policy(pause_on={"blockers": []})  # the state pauses alone (the client's blockers: test_pauses.py)
    wo = _work_order(w)
    wo = _move(wo, "readiness", at(21, 8), w["desk"])  # Tue 09:00 BST: back to work
    with clock.frozen(at(21, 8)):
        work_services.override_blocker(wo, f"requirement:{w['access'].pk}", reason="client phoned security",
                                       actor=w["dispatcher"])
        work_services.assign(wo, w["engineer"], actor=w["dispatcher"])
    for to in ("ready", "scheduled", "dispatched"):
        wo = _move(wo, to, at(21, 9), w["dispatcher"])
    with clock.frozen(at(21, 10)):  # Tue 11:00 BST
        wo = work_services.check_in(wo, actor=w["engineer_user"])
    assert wo.state == "on_site"
    clocks = _targets(wo, at(22, 17))  # Wed 18:00 BST
    onsite = clocks["onsite"]
    assert (onsite.status, onsite.elapsed_minutes, onsite.stopped_at) == ("met", 180, at(21, 10))
    assert onsite.paused_minutes == 8 * 60  # Mon 11:00-18:00 and Tue 08:00-09:00 BST
    resolution = clocks["resolution"]
    # Mon 1 h + Tue 09:00-18:00 9 h + Wed 10 h = 20 h of 45 h.
    assert (resolution.status, resolution.elapsed_minutes, resolution.remaining_minutes) == ("running", 1200, 1500)
    # Thu 10 h, Fri 10 h (40 h), the weekend and Mon 27 May (bank holiday) closed, Tue 08:00 + 5 h.
    assert resolution.due_at == at(28, 12)
    late = _targets(wo, at(24, 14))  # Fri 15:00 BST: 20 + 10 + 7 = 37 h of 45 h used
    assert late["resolution"].status == "at_risk"
    assert _targets(wo, at(28, 12, 1))["resolution"].status == "breached"


def test_twenty_four_seven_policy_ignores_the_site_hours(w):
    _policy(business_hours=False, pause_states=[])
    wo = _work_order(w)
    clocks = _targets(wo, at(20, 20))
    assert clocks["response"].elapsed_minutes == 45
    assert clocks["onsite"].status == "breached"  # 11 real hours of an 8 h target, no pause
    assert clocks["onsite"].elapsed_minutes == 11 * 60


def test_cancelled_work_stops_the_running_clocks_as_cancelled(w):
    _policy()
    wo = make(w, "submitted", priority="p2")
    with clock.frozen(dt.datetime(2030, 5, 20, 9, 30, tzinfo=UTC)):
        work_services.transition_work_order(wo, "cancelled", actor=w["desk"], reason="withdrawn")
    wo.refresh_from_db()
    clocks = _targets(wo, at(23, 9))
    assert {t.status for t in clocks.values()} == {"cancelled"}
    assert clocks["response"].elapsed_minutes == 30


def test_no_policy_no_clocks(w):
    wo = _work_order(w)
    with clock.frozen(at(20, 20)):
        sla = sla_of(wo)
    assert sla.policy is None and sla.targets == []


def test_incident_response_met_at_acknowledge():
    services.create_policy({"name": "SEV2", "applies_to": "incident", "level": "sev2", "response_minutes": 15,
                            "resolution_minutes": 240, "business_hours": False}, actor=None)
    commander = f.make_user("incident_commander")
    with clock.frozen(at(20, 9)):
        incident = incident_services.declare_incident({"title": "Checkout down", "severity": "sev2"}, actor=commander)
    with clock.frozen(at(20, 9, 10)):
        incident = incident_services.transition_incident(incident, "acknowledged", actor=commander)
    clocks = _targets(incident, at(20, 12))
    assert (clocks["response"].status, clocks["response"].elapsed_minutes) == ("met", 10)
    assert "onsite" not in clocks
    resolution = clocks["resolution"]
    assert (resolution.status, resolution.elapsed_minutes, resolution.due_at) == ("at_risk", 180, at(20, 13))
