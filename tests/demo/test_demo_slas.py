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
    assert all(p.response_minutes < SlaPolicy.objects.get(client=None, applies_to="work_order", level=p.level)
               .response_minutes for p in hospital)


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
