"""The demo's work orders: every state, blockers from each kind of site rule (each site's own rules),
some at risk, some rework, ready work in every region, and the category rules as data."""

from __future__ import annotations

import pytest

from opsdesk.workorders import rules
from opsdesk.workorders.models import CategoryField, CategoryPolicy, WorkOrder

pytestmark = pytest.mark.usefixtures("demo", "db")


def open_blockers(wo: WorkOrder) -> list[dict]:
    return [b for b in (wo.readiness or {}).get("blockers", []) if not b.get("overridden")]


def blocked_at(code: str) -> list[tuple[WorkOrder, dict]]:
    """(work order, open blocker) pairs of the open work at one site."""
    qs = WorkOrder.objects.filter(site__code=code, state__in=sorted(rules.OPEN_STATES)).select_related("site")
    return [(wo, b) for wo in qs for b in open_blockers(wo)]


def test_every_state_is_present() -> None:
    assert set(WorkOrder.objects.values_list("state", flat=True)) == set(rules.STATES)


def test_category_rules_are_data() -> None:
    keys = set(CategoryField.objects.filter(category="install").values_list("key", flat=True))
    assert {"rack_location", "power_feed", "part_numbers", "site_contact"} <= keys
    assert {"asset_tags", "data_wipe_certificate"} <= set(
        CategoryField.objects.filter(category="decommission").values_list("key", flat=True)
    )
    assert CategoryField.objects.filter(category="cabling", key="cable_schedule").exists()
    assert set(CategoryPolicy.objects.filter(requires_change=True).values_list("category", flat=True)) == {
        "install", "decommission",
    }
    assert all(p.checklist for p in CategoryPolicy.objects.all())


def test_blockers_of_each_kind_follow_each_sites_rules() -> None:
    kinds = {b["kind"] for wo in WorkOrder.objects.filter(state__in=sorted(rules.OPEN_STATES)) for b in open_blockers(wo)}
    assert {"information", "site_requirement", "permitted_hours", "freeze", "engineer", "parts"} <= kinds, kinds
    # lon-dc1: the 72-hour access request is not approved yet.
    assert any(b["kind"] == "site_requirement" and "72" in (b["detail"] + b["rule"]) for _, b in blocked_at("lon-dc1"))
    # fra-dc: night work only, and a daytime window.
    assert any(b["kind"] == "permitted_hours" for _, b in blocked_at("fra-dc"))
    # A hospital: infection control not confirmed.
    hospital = [b for code in ("man-hosp", "lds-hosp", "tor-hosp", "syd-hosp") for _, b in blocked_at(code)]
    assert any(b["kind"] == "site_requirement" and "nfection" in (b["detail"] + b["rule"]) for b in hospital)
    # A colocation cage: the assigned engineer lacks the security clearance.
    colo = [b for code in ("ams-colo", "sin-colo") for _, b in blocked_at(code)]
    assert any(b["kind"] == "engineer" and "clearance" in (b["detail"] + b["rule"]).lower() for b in colo)


def test_some_work_is_at_risk_and_some_is_rework() -> None:
    at_risk = WorkOrder.objects.filter(at_risk=True)
    assert at_risk.exists()
    for wo in at_risk:
        assert wo.next_needed_by is not None
    rework = WorkOrder.objects.filter(rework_of__isnull=False).select_related("rework_of")
    assert rework.exists()
    assert all(r.rework_of.state in ("completed", "verified", "closed") for r in rework)
    assert WorkOrder.objects.filter(state__in=["completed", "verified", "closed"], first_time_fix=False).exists()


def test_ready_work_in_every_region_for_dispatch() -> None:
    for region in ("EMEA", "AMER", "APAC"):
        ready = [wo for wo in WorkOrder.objects.filter(state="ready", site__region__code=region) if not open_blockers(wo)]
        assert len(ready) >= 2, region


def test_completed_work_has_a_report_and_a_checklist() -> None:
    for wo in WorkOrder.objects.filter(state__in=["completed", "verified", "closed"]):
        assert wo.completion_report and wo.checklist and wo.checked_in_at and wo.checked_out_at, wo
