"""Burn-rate alerts end to end: measurements -> the evaluator's events -> alert processing ->
incidents on the SLO's service; resolves when the burn stops (hand-computed cases)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.alerts import processing
from opsdesk.alerts.models import Alert, Integration, RawEvent
from opsdesk.core import clock, periodic
from opsdesk.incidents.models import Incident
from opsdesk.slos import alerts as slo_alerts
from opsdesk.slos import services as slo_services
from opsdesk.slos import tasks
from opsdesk.slos.models import Slo
from tests import factories as f
from tests.slos.factories import MIN, NOW, make_slo, minutes, write

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def epr():
    client = f.make_client(name="Northgate")
    f.make_user("incident_commander")
    service = f.make_service(client, name="EPR", code="epr")
    slo, _ = make_slo(service, name="EPR availability", objective=0.999)
    return slo


def _process(at: dt.datetime) -> None:
    with clock.frozen(at):
        processing.drain()


def _alerts(slo: Slo) -> dict[str, Alert]:
    return {a.key.rsplit(":", 1)[1]: a for a in Alert.objects.filter(key__startswith=f"slo:{slo.pk}:")}


def test_a_hard_down_pages_opens_an_incident_on_the_service_and_resolves_when_the_burn_stops(epr):
    # 60 good minutes, then 10 minutes at 100 % errors ending now (budget 0.1 %):
    # 1 h: 10,000 bad / 60,000 = 16.7 % -> 167x >= 14.4, 5 min: 1,000x -> page-fast;
    # 6 h: 10,000 / 70,000 -> 143x, 30 min: 333x -> page-slow; 3 days / 6 h alike -> ticket.
    write(epr, minutes(NOW - 70 * MIN, 60, 1000) + minutes(NOW - 10 * MIN, 10, 0))
    result = slo_alerts.evaluate(now=NOW)
    assert result.evaluated == 1
    assert sorted(result.triggered) == sorted(f"slo:{epr.pk}:{r}" for r in ("page-fast", "page-slow", "ticket"))
    epr.refresh_from_db()
    assert epr.firing == {name: NOW.isoformat() for name in ("page-fast", "page-slow", "ticket")}
    # The events entered the pipeline as an accepted delivery of the client's internal integration.
    integration = Integration.objects.get(client=epr.service.client, name=slo_alerts.INTEGRATION_NAME)
    assert integration.kind == "events_v2" and len(integration.key_hash) == 64
    assert RawEvent.objects.filter(integration=integration, processed_at__isnull=True).count() == 1

    _process(NOW)
    alerts = _alerts(epr)
    assert set(alerts) == {"page-fast", "page-slow", "ticket"}
    fast = alerts["page-fast"]
    assert (fast.status, fast.severity, fast.service_id) == ("firing", "critical", epr.service_id)
    assert fast.summary.startswith("EPR availability SLO burning error budget 14.4x (page-fast)")
    assert alerts["ticket"].severity == "warning"
    assert fast.details["custom_details"]["long_burn_rate"] == pytest.approx(10000 / 60000 / 0.001, rel=1e-4)
    incident = Incident.objects.get(pk=fast.incident_id)
    assert list(incident.services.values_list("pk", flat=True)) == [epr.service_id]
    assert {a.incident_id for a in alerts.values()} == {incident.pk}  # one failure, one incident

    # Evaluating again changes nothing: no new delivery while the same rules fire.
    assert slo_alerts.evaluate(now=NOW + 30 * dt.timedelta(seconds=1)).triggered == []
    assert RawEvent.objects.count() == 1

    # Ten good minutes: the 5-minute window is clean, so page-fast stops; page-slow's 30 minutes
    # (10 bad of 30) and the ticket still burn.
    write(epr, minutes(NOW, 10, 1000), now=NOW + 10 * MIN)
    result = slo_alerts.evaluate(now=NOW + 10 * MIN)
    assert (result.triggered, result.resolved) == ([], [f"slo:{epr.pk}:page-fast"])
    _process(NOW + 10 * MIN)
    alerts = _alerts(epr)
    assert alerts["page-fast"].status == "resolved" and alerts["page-slow"].status == "firing"
    epr.refresh_from_db()
    assert set(epr.firing) == {"page-slow", "ticket"} and epr.firing["page-slow"] == NOW.isoformat()


def test_a_slow_leak_raises_a_ticket_not_a_page(epr):
    # Three days at 0.15 % errors in hourly buckets: 1.5x over 3 days and over 6 h -> the ticket only.
    write(epr, minutes(NOW - 72 * HOUR, 72, 99850, 100000, seconds=3600))
    result = slo_alerts.evaluate(now=NOW)
    assert result.triggered == [f"slo:{epr.pk}:ticket"]
    _process(NOW)
    ticket = _alerts(epr)["ticket"]
    assert (ticket.severity, ticket.service_id, ticket.status) == ("warning", epr.service_id, "firing")
    assert ticket.summary.startswith("EPR availability SLO burning error budget 1x (ticket)")
    assert Incident.objects.get(pk=ticket.incident_id).services.get() == epr.service


def test_switching_alerting_off_resolves_what_fired(epr):
    write(epr, minutes(NOW - 10 * MIN, 10, 0))
    slo_alerts.evaluate(now=NOW)
    _process(NOW)
    slo_services.update_slo(epr, {"alerting": False}, actor=None)
    result = slo_alerts.evaluate(now=NOW + MIN)
    assert sorted(result.resolved) == sorted(f"slo:{epr.pk}:{r}" for r in ("page-fast", "page-slow", "ticket"))
    _process(NOW + MIN)
    assert {a.status for a in _alerts(epr).values()} == {"resolved"}
    epr.refresh_from_db()
    assert epr.firing == {}
    assert slo_alerts.evaluate(now=NOW + 2 * MIN).evaluated == 0


def test_each_service_of_a_client_is_mapped_in_one_integration(epr):
    other_service = f.make_service(epr.service.client, name="PACS", code="pacs")
    pacs, _ = make_slo(other_service, kind="latency", name="PACS latency")
    write(epr, minutes(NOW - 10 * MIN, 10, 0))
    write(pacs, minutes(NOW - 10 * MIN, 10, 0))
    slo_alerts.evaluate(now=NOW)
    _process(NOW)
    integration = Integration.objects.get(name=slo_alerts.INTEGRATION_NAME)
    assert integration.rules.count() == 2
    assert {a.service_id for a in _alerts(pacs).values()} == {other_service.pk}
    assert {a.service_id for a in _alerts(epr).values()} == {epr.service_id}
    assert _alerts(pacs)["page-fast"].summary.startswith("PACS latency SLO burning error budget 14.4x")


def test_quiet_slos_send_nothing(epr):
    write(epr, minutes(NOW - 60 * MIN, 60, 1000))
    assert slo_alerts.evaluate(now=NOW).triggered == []
    assert not RawEvent.objects.exists() and not Integration.objects.exists()


def test_the_worker_evaluates_every_minute_and_runs_checks_every_15_seconds(epr):
    jobs = {job.name: job for job in periodic.jobs()}
    assert jobs["slos-evaluate"].every == 60 and jobs["slos-synthetic"].every == 15
    assert (jobs["slos-evaluate"].task, jobs["slos-synthetic"].task) == (tasks.evaluate_slos, tasks.run_synthetic_checks)
    write(epr, minutes(NOW - 10 * MIN, 10, 0))
    with clock.frozen(NOW):
        assert tasks.evaluate_slos.call() == 3  # rules that started firing
        assert tasks.evaluate_slos.call() == 0  # idempotent: nothing new
        assert tasks.run_synthetic_checks.call() == 0  # no checks configured
