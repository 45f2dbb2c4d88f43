"""The demo's SLA policies: a default per priority and severity, the hospital's stricter contract,
and clocks with badges on its work orders and incidents."""

from __future__ import annotations

import pytest

from opsdesk.incidents.models import Incident
from opsdesk.slas.badges import badge
from opsdesk.slas.clocks import clocks_for_incidents, clocks_for_work_orders
from opsdesk.slas.models import SlaPolicy
from opsdesk.workorders.models import WorkOrder

pytestmark = pytest.mark.usefixtures("demo", "db")


def test_policies_per_priority_and_severity_and_the_hospital_contract() -> None:
    defaults = set(SlaPolicy.objects.filter(client__isnull=True).values_list("applies_to", "level"))
    assert defaults == {("work_order", p) for p in ("p1", "p2", "p3", "p4")} | {
        ("incident", s) for s in ("sev1", "sev2", "sev3", "sev4")}
    hospital = SlaPolicy.objects.filter(client__code="northgate")
    assert set(hospital.values_list("level", flat=True)) == {"p1", "p2"}
    assert all(p.response_minutes < SlaPolicy.objects.get(client=None, applies_to="work_order", level=p.level,
                                                           category="break_fix").response_minutes for p in hospital)
    # Reactive work runs on tight targets; planned work (the default for any other category) has
    # no on-site target and weeks of business time to finish.
    planned = SlaPolicy.objects.get(client=None, applies_to="work_order", level="p3", category="")
    reactive = SlaPolicy.objects.get(client=None, applies_to="work_order", level="p3", category="break_fix")
    assert planned.onsite_minutes is None and planned.resolution_minutes > 4 * reactive.resolution_minutes


def test_work_orders_and_incidents_have_clocks_and_badges() -> None:
    work = list(WorkOrder.objects.exclude(state="draft").order_by("id")[:40])
    clocks = clocks_for_work_orders(work)
    assert all(clocks[w.pk].policy is not None for w in work)
    northgate_p1 = [w for w in work if w.client.code == "northgate" and w.priority in ("p1", "p2")]
    assert northgate_p1 and all(clocks[w.pk].policy.client_id == w.client_id for w in northgate_p1)
    shown = {badge(c).status for c in clocks.values() if badge(c)}
    assert len(shown) >= 2  # the demo shows more than one kind of badge
    incidents = list(Incident.objects.order_by("id"))
    assert all(s.policy is not None for s in clocks_for_incidents(incidents).values())


def test_every_work_order_has_stored_clocks_and_they_are_the_live_ones() -> None:
    from opsdesk.slas.models import SlaClockState

    work = list(WorkOrder.objects.order_by("id"))
    stored = {(s.object_id, s.target): s.status for s in SlaClockState.objects.filter(kind="work_order")}
    assert {pk for pk, _target in stored} == {w.pk for w in work}  # every work order has a policy
    statuses = set(stored.values())
    assert "met" in statuses and statuses & {"running", "at_risk", "paused"}  # settled and open work
    sample = work[:60]
    from opsdesk.core import clock

    with clock.frozen(SlaClockState.objects.order_by("-computed_at").first().computed_at):
        live = clocks_for_work_orders(sample)
    for w in sample:
        assert {(t.target, t.status) for t in live[w.pk].targets} == {
            (target, status) for (pk, target), status in stored.items() if pk == w.pk}
    open_incidents = Incident.objects.exclude(state__in=("resolved", "closed")).count()
    assert SlaClockState.objects.filter(kind="incident").values("object_id").distinct().count() >= open_incidents
