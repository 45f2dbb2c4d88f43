"""Readiness and eligibility gathered from a real database, for demo-like sites whose rules differ."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock
from opsdesk.people.models import Absence, Skill
from opsdesk.sites.models import Site
from opsdesk.workorders.models import (
    Arrangement,
    CategoryField,
    CategoryPolicy,
    Override,
    Part,
    WorkOrder,
)
from opsdesk.workorders.readiness import batch
from opsdesk.workorders.readiness import queries as rq
from opsdesk.workorders.readiness.forked import ForkedEvaluation
from tests import factories as f

pytestmark = pytest.mark.django_db
UTC = dt.UTC
H = dt.timedelta(hours=1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
# Tue 10 Mar 2026 10:00-12:00 London (GMT); a night window Tue 23:00 -> Wed 03:00 Berlin.
DAY = (dt.datetime(2026, 3, 10, 10, tzinfo=UTC), dt.datetime(2026, 3, 10, 12, tzinfo=UTC))
NIGHT = (dt.datetime(2026, 3, 10, 22, tzinfo=UTC), dt.datetime(2026, 3, 11, 2, tzinfo=UTC))
NIGHTS = {d: [["00:00", "06:00"], ["22:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def world():
    region = f.make_region()
    client = f.make_client()
    lon = f.make_site(code="lon-dc1", region=region, clients=[client])
    access = f.make_requirement(lon, kind="access_request", description="72 h access request", lead_time_hours=72)
    escort = f.make_requirement(lon, kind="escort", description="Escort by site security", lead_time_hours=48)
    fra = f.make_site(code="fra-dc", region=region, clients=[client], time_zone="Europe/Berlin",
                      holiday_country="DE", holiday_subdivision="")
    induction = f.make_requirement(fra, kind="induction", description="Site induction", lead_time_hours=168)
    nights = f.make_requirement(fra, kind="permitted_hours", description="Work 22:00-06:00 only",
                                lead_time_hours=0, permitted_hours=NIGHTS)
    hosp = f.make_site(code="man-hosp", kind=Site.Kind.HOSPITAL, region=region, clients=[client])
    infection = f.make_requirement(hosp, kind="compliance", description="Infection-control sign-off",
                                   lead_time_hours=24, categories=["install", "break_fix"])
    f.make_requirement(hosp, kind="local_standard", description="Label to the NHS standard", blocking=False)
    plain = f.make_site(code="plain", region=region, clients=[client])
    f.clear_category_rules()
    CategoryField.objects.create(category="install", key="rack_location", label="Rack location", owner="client")
    CategoryPolicy.objects.create(category="install", requires_change=True)
    owner = f.make_user("service_desk")
    return {
        "region": region, "client": client, "owner": owner, "lon": lon, "fra": fra, "hosp": hosp, "plain": plain,
        "access": access, "escort": escort, "induction": induction, "nights": nights, "infection": infection,
    }


def make_wo(w, site, category="audit", window=DAY, **kw) -> WorkOrder:
    return WorkOrder.objects.create(
        client=w["client"], site=site, category=category, title="Work", owner=w["owner"],
        window_start=window[0] if window else None, window_end=window[1] if window else None, **kw,
    )


def day_engineer(w, site, **kw):
    engineer = f.make_engineer(w["region"], **kw)
    f.give_access(engineer, site)
    return engineer


def keys(wo) -> dict[str, tuple[str, str]]:
    return {b.key: (b.kind, b.owner) for b in rq.evaluate_work_order(wo, NOW).blockers if not b.overridden}


def test_plain_site_with_an_eligible_engineer_is_ready(world, django_assert_max_num_queries):
    day_engineer(world, world["plain"])
    wo = make_wo(world, world["plain"])
    with django_assert_max_num_queries(20):
        result = rq.evaluate_work_order(wo, NOW)
    assert result.ready and result.blockers == ()


def test_access_request_and_escort_site(world):
    day_engineer(world, world["lon"])
    wo = make_wo(world, world["lon"], category="install", info={"rack_location": ""})
    result = rq.evaluate_work_order(wo, NOW)
    by = {b.key: b for b in result.blockers}
    access, escort = by[f"requirement:{world['access'].pk}"], by[f"requirement:{world['escort'].pk}"]
    assert (access.owner, access.needed_by) == ("client", DAY[0] - 72 * H)
    assert access.rule == "lon-dc1 · Access request: 72 h access request"
    assert (escort.owner, escort.needed_by) == ("site", DAY[0] - 48 * H)
    assert by["info:rack_location"].rule == "Install needs rack location"
    assert by["change"].owner == "service_desk"
    assert not result.ready and result.next_needed_by == DAY[0] - 72 * H

    for req in (world["access"], world["escort"]):
        Arrangement.objects.create(work_order=wo, requirement=req, state="approved",
                                   submitted_at=NOW - 2 * H, approved_at=NOW)
    wo.info = {"rack_location": "Hall 1 / R4 / U20"}
    change = ChangeRequest.objects.create(title="Install", owner=world["owner"], window_start=DAY[0],
                                          window_end=DAY[1], state="approved")
    wo.change = change
    wo.save()
    assert rq.evaluate_work_order(wo, NOW).ready


def test_induction_and_night_only_site(world):
    fra = world["fra"]
    engineer = f.make_engineer(world["region"], time_zone="Europe/Berlin", working_hours=NIGHTS)
    f.give_access(engineer, fra)
    wo = make_wo(world, fra)  # a day window
    assert keys(wo) == {
        f"requirement:{world['nights'].pk}": ("permitted_hours", "dispatch"),
        "people": ("people", "dispatch"),
    }
    detail = {b.key: b.detail for b in rq.evaluate_work_order(wo, NOW).blockers}
    assert detail[f"requirement:{world['nights'].pk}"] == (
        "fra-dc allows work 22:00–06:00 only; the window is Tue 11:00–13:00 Europe/Berlin."
    )
    assert "no induction at fra-dc" in detail["people"]

    night = make_wo(world, fra, window=NIGHT, engineer=engineer)
    result = rq.evaluate_work_order(night, NOW)
    people = {b.key: b for b in result.blockers}
    assert people["people"].needed_by == NIGHT[0] - 168 * H  # the induction's lead time
    assert people["engineer"].detail == f"{engineer.name} is not eligible: no induction at fra-dc."
    f.give_access(engineer, fra, kind="induction", expires_on=dt.date(2026, 12, 31))
    assert rq.evaluate_work_order(night, NOW).ready


def test_hospital_compliance_for_install_only(world):
    day_engineer(world, world["hosp"])
    CategoryPolicy.objects.create(category="break_fix")
    fix = make_wo(world, world["hosp"], category="break_fix")
    assert keys(fix) == {f"requirement:{world['infection'].pk}": ("site_requirement", "service_desk")}
    audit = make_wo(world, world["hosp"], category="audit")
    assert keys(audit) == {}  # the local standard is advisory


def test_freeze_parts_and_overrides(world):
    day_engineer(world, world["plain"])
    ChangeWindow.objects.create(kind="freeze", name="March freeze", site=world["plain"], start_on=dt.date(2026, 3, 9),
                                start_time=dt.time(0), duration_minutes=60 * 24 * 5)
    ChangeWindow.objects.create(kind="window", name="Sunday window", site=world["plain"], start_on=dt.date(2026, 3, 1),
                                start_time=dt.time(1), duration_minutes=120, rrule="FREQ=WEEKLY;BYDAY=SU")
    wo = make_wo(world, world["plain"])
    part = Part.objects.create(work_order=wo, part_number="PSU-750", shipment="shipped")
    found = keys(wo)
    freeze_key = next(k for k in found if k.startswith("freeze:"))
    assert found == {freeze_key: ("freeze", "dispatch"), f"part:{part.pk}": ("parts", "service_desk")}
    Override.objects.create(work_order=wo, blocker=freeze_key, reason="Agreed with the site", by=world["owner"], at=NOW)
    result = rq.evaluate_work_order(wo, NOW)
    assert [b.overridden for b in result.blockers] == [True, False] and not result.ready
    part.shipment, part.delivered_at = "delivered", NOW
    part.save()
    assert rq.evaluate_work_order(wo, NOW).ready


def test_at_risk_when_needed_by_has_passed(world):
    day_engineer(world, world["lon"])
    wo = make_wo(world, world["lon"])
    with clock.frozen(DAY[0] - 60 * H):
        late = rq.evaluate_work_order(wo)  # past the access request's 72 h, not the escort's 48 h
    assert late.at_risk and late.next_needed_by == DAY[0] - 72 * H
    with clock.frozen(NOW):
        assert not rq.evaluate_work_order(wo).at_risk


def test_no_window_reports_the_window(world):
    wo = make_wo(world, world["plain"], window=None)
    assert keys(wo) == {"window": ("window", "service_desk")}


def test_eligible_engineers_with_reasons(world):
    lon = world["lon"]
    skill = Skill.objects.create(code="fibre-splicing", name="Fibre splicing")
    good = day_engineer(world, lon, name="Alice")
    f.give_skill(good, "fibre-splicing")
    f.give_certification(good, "server-plus", dt.date(2027, 1, 1))
    no_skill = day_engineer(world, lon, name="Bob")
    f.give_certification(no_skill, "server-plus", dt.date(2026, 3, 1))
    away = day_engineer(world, lon, name="Carol")
    f.give_skill(away, "fibre-splicing")
    f.give_certification(away, "server-plus", dt.date(2027, 1, 1))
    Absence.objects.create(engineer=away, start_at=DAY[0] - 24 * H, end_at=DAY[1] + 24 * H, reason="Annual leave")
    visitor = f.make_engineer(f.make_region(), name="Dave")  # another region, but holds access here
    f.give_access(visitor, lon)
    f.give_skill(visitor, "fibre-splicing")
    f.give_certification(visitor, "server-plus", dt.date(2027, 1, 1))
    f.make_engineer(world["region"], name="Eve", active=False)
    wo = make_wo(world, lon)
    wo.required_skills.add(skill)
    wo.required_certifications.add(good.certifications.get().certification)
    verdicts = {v.engineer_name: v for v in rq.eligible_engineers(wo)}
    assert [n for n, v in verdicts.items() if v.eligible] == ["Alice", "Dave"]
    assert verdicts["Bob"].reasons == (
        "missing skill Fibre splicing", "certification SERVER-PLUS expires on 2026-03-01, before the work on 2026-03-10",
    )
    assert verdicts["Carol"].reasons == ("absent (Annual leave) on 2026-03-10",)
    assert "Eve" not in verdicts  # inactive engineers are not candidates...
    wo.engineer = f.make_engineer(world["region"], name="Frank", active=False)
    wo.save()
    frank = {v.engineer_name: v for v in rq.eligible_engineers(wo)}["Frank"]  # ...unless assigned
    assert frank.reasons[0] == "inactive" and "no site access at lon-dc1" in frank.reasons


def test_evaluate_many_matches_one_by_one_in_bounded_queries(world, django_assert_max_num_queries):
    for site in ("lon", "fra", "hosp", "plain"):
        day_engineer(world, world[site])
    orders = [
        make_wo(world, world[site], category=cat, window=window)
        for site in ("lon", "fra", "hosp", "plain")
        for cat in ("install", "audit", "break_fix")
        for window in (DAY, NIGHT, None)
    ]
    with django_assert_max_num_queries(22):
        many = rq.evaluate_many(WorkOrder.objects.order_by("id").only(*batch.READ_FIELDS), NOW)
    assert set(many) == {wo.pk for wo in orders}
    for wo in orders:
        one = rq.evaluate_work_order(wo, NOW)
        assert [b.key for b in many[wo.pk].blockers] == [b.key for b in one.blockers]
        assert many[wo.pk].ready == one.ready


def test_gate_counts_region_engineers_without_access_by_their_missing_grants(world):
    fra = world["fra"]
    holder = f.make_engineer(world["region"], name="Holder", time_zone="Europe/Berlin", working_hours=NIGHTS)
    f.give_access(holder, fra)
    for i in range(3):  # on shift at night, but nothing held at fra-dc
        f.make_engineer(world["region"], name=f"Other {i}", time_zone="Europe/Berlin", working_hours=NIGHTS)
    f.make_engineer(world["region"], name="Gone", active=False)
    f.make_engineer(f.make_region(), name="Elsewhere")
    night = make_wo(world, fra, window=NIGHT)
    people = {b.key: b for b in rq.evaluate_work_order(night, NOW).blockers}["people"]
    # The holder lacks the induction; the three others hold neither access nor induction there.
    assert "(of 4 considered)" in people.detail
    assert "no induction at fra-dc (4)" in people.detail
    assert "no site access at fra-dc (3)" in people.detail
    # The full list (the work order page) still judges every one of them, with all their reasons.
    verdicts = {v.engineer_name: v for v in rq.eligible_engineers(night)}
    assert set(verdicts) == {"Holder", "Other 0", "Other 1", "Other 2"}
    assert verdicts["Other 0"].reasons == ("no site access at fra-dc", "no induction at fra-dc")
    f.give_access(holder, fra, kind="induction", expires_on=dt.date(2026, 12, 31))
    assert rq.evaluate_work_order(night, NOW).ready


def test_evaluate_ids_and_work_rows_agree_with_model_instances(world):
    day_engineer(world, world["lon"])
    orders = [make_wo(world, world[site], window=window) for site in ("lon", "fra") for window in (DAY, NIGHT, None)]
    ids = [wo.pk for wo in orders]
    by_instances = rq.evaluate_many(WorkOrder.objects.filter(pk__in=ids).only(*batch.READ_FIELDS), NOW)
    by_rows = rq.evaluate_many(batch.work_rows(WorkOrder.objects.filter(pk__in=ids)), NOW)
    by_ids = rq.evaluate_ids(ids, NOW, chunk=4)
    assert set(by_ids) == set(ids)
    assert by_rows == by_instances == by_ids


def test_forked_evaluation_in_worker_processes_matches_evaluate_many(world):
    day_engineer(world, world["lon"])
    orders = [make_wo(world, world[site], window=window) for site in ("lon", "fra", "hosp") for window in (DAY, NIGHT)]
    rows = list(batch.work_rows(WorkOrder.objects.filter(pk__in=[wo.pk for wo in orders]).order_by("id")))
    expected = rq.evaluate_many(rows, NOW)
    with ForkedEvaluation(rows, NOW, processes=2, min_rows=0, convert=rq.as_json) as in_workers:
        # The workers judge from what was read on entering; this process may write meanwhile.
        WorkOrder.objects.filter(pk=orders[0].pk).update(title="Written while the workers judge")
        assert in_workers.results() == {pk: rq.as_json(result) for pk, result in expected.items()}
    with ForkedEvaluation(rows, NOW) as here:  # no workers: judged on entering, in this process
        assert here.results() == expected
