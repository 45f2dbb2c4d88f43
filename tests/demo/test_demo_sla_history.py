"""The demo's SLA story: most targets met, some at risk, a few breached for a reason on the work
order, and the work waiting on the client's access approval paused with that reason (issue 17)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import F

from opsdesk.core import clock
from opsdesk.core.models import Activity
from opsdesk.slas.clocks import sla_of
from opsdesk.slas.models import SlaClockState
from opsdesk.workorders.models import BlockerSpell, WorkOrder

pytestmark = pytest.mark.usefixtures("demo", "db")


def _settled() -> list[SlaClockState]:
    return list(
        SlaClockState.objects.filter(
            kind="work_order", target="resolution", status__in=("met", "breached")
        ).select_related("policy")
    )


def test_most_resolution_targets_are_met_per_policy() -> None:
    rows = _settled()
    met, total = Counter(), Counter()
    for row in rows:
        total[row.policy.name] += 1
        met[row.policy.name] += row.status == "met"
    shares = {name: met[name] / n for name, n in total.items() if n >= 15}
    assert len(shares) >= 4, shares
    within = [name for name, share in shares.items() if 0.8 <= share <= 0.99]
    # Most policies within 80-99 %, none near the old 0 %; a few sit lower on the curated stories'
    # deliberate breaches and the planned work of the dispatch day waiting since its booking.
    assert len(within) >= len(shares) / 2, shares
    assert min(shares.values()) >= 0.5, shares
    overall = sum(met.values()) / sum(total.values())
    assert 0.75 <= overall <= 0.95, overall


def test_open_work_is_at_risk_and_breaches_have_a_reason_on_the_work_order() -> None:
    assert SlaClockState.objects.filter(kind="work_order", status="at_risk").exists()
    breached = {r.object_id for r in _settled() if r.status == "breached"}
    failed = set(
        Activity.objects.filter(
            object_id__in=breached, summary__contains="Visit failed"
        ).values_list("object_id", flat=True)
    )
    late = set(
        BlockerSpell.objects.filter(
            work_order_id__in=breached, kind="parts", owner="service_desk"
        ).values_list("work_order_id", flat=True)
    )
    assert failed and late
    assert WorkOrder.objects.filter(pk__in=failed, first_time_fix=False).count() == len(failed)


def test_waiting_on_the_client_is_excused_on_provider_time_but_kept_in_the_raw_figure() -> None:
    excused = SlaClockState.objects.filter(
        kind="work_order",
        target="resolution",
        status="met",
        paused_minutes__gt=F("target_minutes") - F("elapsed_minutes"),
    )
    assert excused.exists()
    assert BlockerSpell.objects.filter(
        work_order_id__in=excused.values("object_id"), owner="client"
    ).exists()


def test_work_waiting_on_the_clients_access_approval_shows_paused_time_and_why() -> None:
    wo = WorkOrder.objects.get(title="Replace failed PSU in the core router")
    with clock.frozen(SlaClockState.objects.order_by("-computed_at").first().computed_at):
        resolution = next(t for t in sla_of(wo).targets if t.target == "resolution")
    assert resolution.status == "paused"
    assert resolution.paused_minutes > 0 and resolution.paused_since is not None
    assert "waiting for your site access approval" in resolution.pause_summary
    stored = SlaClockState.objects.get(kind="work_order", object_id=wo.pk, target="resolution")
    assert (stored.status, stored.paused_minutes) == ("paused", resolution.paused_minutes)
