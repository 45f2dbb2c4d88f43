"""Accepted events become alerts (alerts.processing): Events API semantics for every format,
re-deliveries, flapping, mapping rules and maintenance periods."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connections

from opsdesk.alerts import processing
from opsdesk.alerts.models import Alert, MappingRule, RawEvent
from opsdesk.changes import services as change_services
from opsdesk.core import clock, schedule
from tests import factories as f
from tests.changes.helpers import make_change, submit

from .pipeline import deliver, make_integration, process, signal

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration():
    return make_integration(f.make_client())


def test_trigger_repeat_counts_and_resolve_then_trigger_opens_a_new_alert(integration) -> None:
    deliver(integration, signal("disk-full"))
    deliver(integration, signal("disk-full", summary="Disk full (still)"))
    assert process() == 2
    alert = Alert.objects.get()
    assert (alert.count, alert.status, alert.summary) == (2, "firing", "Disk full (still)")
    deliver(integration, signal("disk-full", "resolve"))
    process()
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    deliver(integration, signal("disk-full"))
    process()
    assert Alert.objects.filter(key="disk-full").count() == 2
    assert Alert.objects.filter(key="disk-full", status="firing").count() == 1
    assert not RawEvent.objects.filter(processed_at__isnull=True).exists()


def test_acknowledge_and_resolve_of_unknown_or_resolved_keys_change_nothing(integration) -> None:
    deliver(integration, signal("nope", "acknowledge"), signal("nope", "resolve"))
    process()
    assert not Alert.objects.exists()
    deliver(integration, signal("k"), signal("k", "acknowledge"))
    process()
    alert = Alert.objects.get()
    assert alert.status == "acknowledged" and alert.acknowledged_at is not None
    deliver(integration, signal("k", "acknowledge"))  # already acknowledged: nothing
    deliver(integration, signal("k", "resolve"), signal("k", "resolve"))
    process()
    alert.refresh_from_db()
    assert alert.status == "resolved" and Alert.objects.count() == 1


def test_the_same_key_on_two_integrations_is_two_alerts(integration) -> None:
    other = make_integration(integration.client, name="second")
    deliver(integration, signal("k"))
    deliver(other, signal("k"))
    process()
    assert Alert.objects.filter(key="k").count() == 2


def test_a_redelivered_body_within_five_minutes_changes_nothing(integration) -> None:
    now = clock.now()
    deliver(integration, signal("k"), at=now, body="same body")
    process()
    deliver(integration, signal("k"), at=now + dt.timedelta(seconds=30), body="same body")  # the sender's retry
    deliver(integration, signal("k"), at=now + dt.timedelta(seconds=31), body="same body")  # and again
    process()
    assert Alert.objects.get().count == 1
    deliver(integration, signal("k"), at=now + dt.timedelta(minutes=10), body="same body")  # a repeat, later
    process()
    assert Alert.objects.get().count == 2
    assert not RawEvent.objects.filter(processed_at__isnull=True).exists()


def test_trigger_resolve_trigger_with_identical_bodies_is_flapping_not_a_retry(integration) -> None:
    deliver(integration, signal("k"), body="trigger")
    deliver(integration, signal("k", "resolve"), body="resolve")
    deliver(integration, signal("k"), body="trigger")
    process()
    assert sorted(Alert.objects.values_list("status", flat=True)) == ["firing", "resolved"]


def test_flapping_is_marked_when_a_key_keeps_reopening(integration) -> None:
    integration.flap_threshold = 3
    integration.save()
    for _ in range(3):
        deliver(integration, signal("flappy"), body="trigger")
        deliver(integration, signal("flappy", "resolve"), body="resolve")
        process()
    deliver(integration, signal("flappy"), body="trigger")
    process()
    latest = Alert.objects.filter(key="flappy").order_by("-id")[0]
    assert latest.flapping and len(latest.state_changes) >= 3
    assert not Alert.objects.filter(key="flappy").order_by("id")[0].flapping


def test_mapping_rules_place_alerts_first_match_wins_then_defaults(integration) -> None:
    site = f.make_site(clients=[integration.client], code="DC2")
    epr = f.make_service(integration.client, name="EPR", code="epr")
    other = f.make_service(integration.client, name="Other", code="other")
    MappingRule.objects.create(integration=integration, position=0, label="service", operator="=", value="epr", service=epr)
    MappingRule.objects.create(integration=integration, position=1, label="service", operator="=~", value="e.*", service=other)
    MappingRule.objects.create(integration=integration, position=0, label="instance", operator="=~", value="dc2-.*", site=site)
    integration.default_service = other
    integration.save()
    deliver(integration, signal("a", labels={"service": "epr", "instance": "dc2-web1:9100"}),
            signal("b", labels={"service": "email", "instance": "xdc2-web1"}), signal("c", labels={}))
    process()
    placed = {a.key: (a.service_id, a.site_id) for a in Alert.objects.all()}
    assert placed == {"a": (epr.pk, site.pk), "b": (other.pk, None), "c": (other.pk, None)}


def test_alerts_inside_an_approved_change_maintenance_period_name_that_change(integration) -> None:
    service = f.make_service(integration.client, name="EPR", code="epr")
    integration.default_service = service
    integration.save()
    owner, peer = f.make_user("engineer", password=None), f.make_user("engineer", password=None)
    change = submit(make_change(owner, services_=[service], start=clock.now() - dt.timedelta(hours=1)), owner)
    change = change_services.decide(change, peer, capacity="peer", decision="approved")
    assert change.state == "approved"
    deliver(integration, signal("during"))
    process()
    assert Alert.objects.get().maintenance_change_id == change.pk
    assert schedule.overlapping(clock.now(), clock.now() + dt.timedelta(minutes=1), service_ids=[service.pk])[0].maintenance


def test_processing_twice_gives_the_same_result_and_batches_split(integration, monkeypatch) -> None:
    monkeypatch.setattr(processing, "BATCH", 3)
    for i in range(7):
        deliver(integration, signal(f"k{i % 4}"), body=f"body {i}")
    assert process() == 7
    assert process() == 0
    assert sorted(Alert.objects.values_list("key", "count")) == [("k0", 2), ("k1", 2), ("k2", 2), ("k3", 1)]


def test_a_transaction_takes_about_max_signals_alerts_whatever_the_deliveries_size(integration, monkeypatch) -> None:
    monkeypatch.setattr(processing, "MAX_SIGNALS", 250)
    for i in range(5):
        deliver(integration, *[signal(f"d{i}-{j}") for j in range(100)], body=f"batch {i}")
    assert processing.process_batch() == 2  # 200 alerts; a third delivery would pass 250
    assert processing.process_batch() == 2
    assert processing.process_batch() == 1
    monkeypatch.setattr(processing, "MAX_SIGNALS", 50)
    deliver(integration, *[signal(f"big-{j}") for j in range(100)], body="big")
    assert processing.process_batch() == 1  # one delivery is always taken, however large
    assert Alert.objects.count() == 600


def test_a_processor_that_lost_the_race_writes_nothing_and_order_holds(integration, monkeypatch) -> None:
    """Another processor commits the same deliveries between this one's reading and its commit:
    this one's batch is dropped (SQLite: the claim; PostgreSQL: rolled back), never applied twice."""
    deliver(integration, signal("k"), body="first")
    deliver(integration, signal("k", "resolve"), body="second")
    real_commit, raced = processing._commit, []

    def commit_after_a_rival(work):
        if not raced:
            raced.append(True)
            processing.process_batch()  # the rival takes the same rows first
        return real_commit(work)

    monkeypatch.setattr(processing, "_commit", commit_after_a_rival)
    processing.process_batch()
    monkeypatch.setattr(processing, "_commit", real_commit)
    process()
    [alert] = Alert.objects.all()
    assert (alert.status, alert.count) == ("resolved", 1)
    assert not RawEvent.objects.filter(processed_at__isnull=True).exists()


# The advisory lock is PostgreSQL's (SQLite's single writer and the claim order processing there,
# as the test above shows): collected on the PostgreSQL pass only.
if "postgresql" in settings.DATABASES["default"]["ENGINE"]:

    def test_postgresql_workers_process_one_at_a_time(integration) -> None:
        """A worker finding the processing lock taken processes nothing (deliveries taken out of order
        by a second worker could apply a resolve before its trigger)."""
        deliver(integration, signal("k"))
        held, release = threading.Event(), threading.Event()

        def rival() -> None:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [processing.PROCESSING_LOCK])
                held.set()
                release.wait(30)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [processing.PROCESSING_LOCK])
            connections["default"].close()

        thread = threading.Thread(target=rival)
        thread.start()
        try:
            assert held.wait(30)
            assert processing.process_batch() == 0
            assert not Alert.objects.exists()
        finally:
            release.set()
            thread.join(30)
        assert processing.process_batch() == 1
        assert Alert.objects.get().key == "k"
