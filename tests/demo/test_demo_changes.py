"""The demo's change management: every state, windows and freezes that differ by site (honoured in
each site's local time), collisions, emergencies and reviewed failures."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.changes import queries, rules
from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows import queries as window_queries
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.sites.models import Site

pytestmark = pytest.mark.usefixtures("demo", "db")


def test_every_state_is_present() -> None:
    assert set(ChangeRequest.objects.values_list("state", flat=True)) == set(rules.STATES)
    assert ChangeRequest.objects.filter(type="emergency").count() >= 2
    assert all(c.risk.get("components") for c in ChangeRequest.objects.all())


def test_windows_and_freezes_differ_by_site() -> None:
    by_site = {
        w.site.code: (w.kind, w.rrule, w.start_time, w.duration_minutes)
        for w in ChangeWindow.objects.select_related("site").filter(site__isnull=False)
    }
    assert by_site["lon-dc1"] == ("window", "FREQ=WEEKLY;BYDAY=SU", dt.time(1, 0), 240)
    assert by_site["fra-dc"][0:2] == ("window", "FREQ=DAILY") and by_site["fra-dc"][2] == dt.time(22, 0)
    assert by_site["nyc-dc"][0:3] == ("window", "FREQ=WEEKLY;BYDAY=SA", dt.time(22, 0))
    assert by_site["man-hosp"][0] == "freeze" and by_site["man-hosp"][2] == dt.time(7, 0)
    assert ChangeWindow.objects.filter(region__code="EMEA", kind="freeze").exists()
    assert ChangeWindow.objects.filter(client__code="orbit", kind="freeze").exists()
    # The same instant is inside lon-dc1's window and outside fra-dc's (their local times differ).
    sunday = dt.datetime(2026, 3, 8, 2, 0, tzinfo=dt.UTC)  # 02:00 London, 03:00 Frankfurt
    lon, fra = Site.objects.get(code="lon-dc1"), Site.objects.get(code="fra-dc")
    assert window_queries.violations_for(sunday, sunday + dt.timedelta(hours=1), [lon.pk]) == []
    assert window_queries.violations_for(sunday + dt.timedelta(hours=4), sunday + dt.timedelta(hours=5), [fra.pk])


def test_approved_changes_honour_their_sites_rules_unless_emergency() -> None:
    for change in ChangeRequest.objects.filter(state__in=["approved", "scheduled", "completed", "reviewed", "closed"]):
        violations = queries.window_violations(change)
        assert not violations or change.type == "emergency", (change.title, violations)
        status = queries.approval_status(change, change.risk_level, violations)
        assert not status.missing and not status.rejected, (change.title, status)
    # Some change deliberately breaks a freeze: it shows on its page.
    assert any(queries.window_violations(c) for c in ChangeRequest.objects.filter(state="submitted"))


def test_some_changes_collide() -> None:
    colliding = [c for c in ChangeRequest.objects.filter(state__in=sorted(rules.PLANNED_STATES)) if queries.collisions_for(c)]
    assert len(colliding) >= 2


def test_failures_are_reviewed_so_the_failure_rate_is_not_empty() -> None:
    reviewed = ChangeRequest.objects.filter(state__in=["reviewed", "closed"])
    assert reviewed.filter(outcome__in=["rolled_back", "failed"]).exists()
    assert reviewed.filter(caused_incident=True).exists()
    assert all(c.lessons for c in reviewed)
    assert ChangeRequest.objects.filter(state="rejected", approvals__decision="rejected").exists()
