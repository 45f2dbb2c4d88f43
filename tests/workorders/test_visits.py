"""Visits on a real database: check-in outside the window needs a reason, the device's distance from
the site is recorded and flagged, a visit that did not complete records why (and is counted)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock
from opsdesk.core.errors import InvalidInput
from opsdesk.core.timeline import for_object
from opsdesk.sites.models import Site
from opsdesk.workorders import queries, services
from opsdesk.workorders.models import CategoryPolicy, Visit, WorkOrder
from tests import factories as f
from tests.workorders.builders import CHECKLIST, END, NOW, START, H, arrange, make, world

pytestmark = pytest.mark.django_db
M = dt.timedelta(minutes=1)
LONDON = (51.5074, -0.1278)


@pytest.fixture
def w():
    w = world()
    Site.objects.filter(pk=w["site"].pk).update(latitude=LONDON[0], longitude=LONDON[1])
    return w


def _dispatched(w, **kw):
    wo = make(w, "readiness", **kw)
    if wo.site_id == w["site"].pk:
        arrange(w, wo)
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = services.transition_work_order(wo, to, actor=w["dispatcher"], reason="go")
    return wo


def test_check_in_days_before_the_window_is_refused_without_a_reason_and_changes_nothing(w):
    wo = _dispatched(w)
    with clock.frozen(START - dt.timedelta(days=3)), pytest.raises(InvalidInput) as exc:
        services.check_in(wo, actor=w["engineer_user"])
    assert exc.value.errors[0]["field"] == "reason"
    assert "Tue 04 Jun 2030 10:00–12:00 BST (Europe/London)" in exc.value.detail
    assert "30 min early, 60 min late" in exc.value.detail
    fresh = WorkOrder.objects.get(pk=wo.pk)
    assert (fresh.state, fresh.checked_in_at) == ("dispatched", None) and not Visit.objects.exists()


def test_check_in_early_within_the_tolerance_needs_no_reason(w):
    wo = _dispatched(w)
    with clock.frozen(START - 25 * M):
        wo = services.check_in(wo, actor=w["engineer_user"])
    visit = Visit.objects.get(work_order=wo)
    assert wo.state == "on_site" and not visit.outside_window and visit.outside_window_reason == ""
    assert (visit.checked_in_at, visit.engineer, visit.outcome) == (START - 25 * M, w["engineer"], "on_site")


def test_check_in_outside_the_window_with_a_reason_is_recorded_on_visit_and_timeline(w):
    wo = _dispatched(w)
    with clock.frozen(END + 2 * H):
        wo = services.check_in(wo, actor=w["engineer_user"], reason="Stuck behind an accident on the A13")
    visit = Visit.objects.get(work_order=wo)
    assert (visit.minutes_late, visit.minutes_early) == (60, 0)
    assert visit.outside_window_reason == "Stuck behind an accident on the A13"
    entry = for_object(wo).get(verb="checked_in")
    assert "(60 min after the tolerance); reason: Stuck behind an accident on the A13" in entry.summary
    assert entry.changes["outside_window_reason"] == "Stuck behind an accident on the A13"


def test_tolerance_is_the_categorys_data(w):
    CategoryPolicy.objects.filter(category="cabling").update(check_in_early_minutes=0, check_in_late_minutes=0)
    wo = _dispatched(w)
    with clock.frozen(START - 5 * M), pytest.raises(InvalidInput, match="0 min early, 0 min late"):
        services.check_in(wo, actor=w["engineer_user"])


def test_distance_from_the_site_is_recorded_and_flagged_beyond_the_radius(w):
    near, far = _dispatched(w), _dispatched(w)
    with clock.frozen(START):
        services.check_in(near, actor=w["engineer_user"], latitude=51.5110, longitude=-0.1278, accuracy_m=15)
        services.check_in(far, actor=w["engineer_user"], latitude=51.5164, longitude=-0.1278)
    v_near, v_far = Visit.objects.get(work_order=near), Visit.objects.get(work_order=far)
    assert (round(v_near.distance_m), v_near.far_from_site, v_near.accuracy_m) == (400, False, 15)
    assert (round(v_far.distance_m), v_far.far_from_site, v_far.radius_m) == (1001, True, 500)
    assert "beyond 500 m" in for_object(far).get(verb="checked_in").summary
    CategoryPolicy.objects.filter(category="cabling").update(check_in_radius_m=2000)
    third = _dispatched(w)
    with clock.frozen(START):
        services.check_in(third, actor=w["engineer_user"], latitude=51.5164, longitude=-0.1278)
    assert not Visit.objects.get(work_order=third).far_from_site  # the radius is the category's


def test_bad_location_is_refused_and_a_site_without_coordinates_is_not_flagged(w):
    wo = _dispatched(w)
    with clock.frozen(START), pytest.raises(InvalidInput) as exc:
        services.check_in(wo, actor=w["engineer_user"], latitude=95.0, longitude=0.0)
    assert exc.value.errors[0]["field"] == "latitude" and not Visit.objects.exists()
    Site.objects.filter(pk=w["site"].pk).update(latitude=None, longitude=None)
    with clock.frozen(START):
        services.check_in(wo, actor=w["engineer_user"], latitude=40.0, longitude=-74.0)
    visit = Visit.objects.get(work_order=wo)
    assert (visit.distance_m, visit.far_from_site, visit.latitude) == (None, False, 40.0)


def test_check_out_not_completed_records_why_holds_the_work_and_is_counted(w):
    wo = _dispatched(w)
    with clock.frozen(START):
        wo = services.check_in(wo, actor=w["engineer_user"])
    with clock.frozen(START + H), pytest.raises(InvalidInput) as exc:
        services.check_out_not_completed(wo, reason="other", note=" ", actor=w["engineer_user"])
    assert exc.value.errors[0]["field"] == "failure_note"
    with pytest.raises(InvalidInput, match="failure_reason"):
        services.check_out_not_completed(wo, reason="tired", actor=w["engineer_user"])
    assert WorkOrder.objects.get(pk=wo.pk).state == "on_site"
    with clock.frozen(START + H):
        wo = services.check_out_not_completed(wo, reason="parts_missing", note="PSU not delivered", actor=w["engineer_user"])
    assert wo.state == "on_hold"
    visit = Visit.objects.get(work_order=wo)
    assert (visit.outcome, visit.failure_reason, visit.failure_note) == ("not_completed", "parts_missing", "PSU not delivered")
    assert visit.checked_out_at == START + H
    assert for_object(wo).get(verb="visit_failed").summary == "Visit not completed: Parts missing (PSU not delivered)"
    client_view = for_object(wo, client_visible_only=True)
    assert not client_view.filter(verb="visit_failed").exists()  # the note stays internal
    assert client_view.filter(summary__endswith="Visit not completed: Parts missing").exists()


def test_failed_visit_reasons_are_counted_per_reason_site_and_region(w):
    other_site = f.make_site(code="lon-b", region=w["region"], clients=[w["client"]])
    f.give_access(w["engineer"], other_site)
    reasons = [("no_access", None), ("no_access", None), ("client_not_ready", None), ("no_access", other_site)]
    for reason, site in reasons:
        wo = _dispatched(w, **({"site": site.pk, "services": []} if site else {}))
        with clock.frozen(START):
            services.check_in(wo, actor=w["engineer_user"], reason="early")
            services.check_out_not_completed(wo, reason=reason, actor=w["engineer_user"])
    done = _dispatched(w)
    with clock.frozen(START):
        services.check_in(done, actor=w["engineer_user"])
    with clock.frozen(END):
        services.check_out(done, report="Done", checklist=dict.fromkeys(CHECKLIST, True), actor=w["engineer_user"])
    assert Visit.objects.get(work_order=done).outcome == "completed"
    rows = queries.list_failed_visit_reasons(w["desk"])
    code = w["region"].code
    assert [(r["region"], r["site"], r["reason"], r["count"]) for r in rows] == [
        (code, "lon-a", "no_access", 2), (code, "lon-a", "client_not_ready", 1), (code, "lon-b", "no_access", 1),
    ]
    assert rows[0]["label"] == "No access on arrival"
    assert queries.list_failed_visit_reasons(w["desk"], since=START + H) == []
    outsider = f.make_user("client", client=f.make_client())
    assert queries.list_failed_visit_reasons(outsider) == []  # tenancy: another client's visits are not counted
