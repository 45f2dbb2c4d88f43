"""Heartbeats: the due/late/down rules, pings and the periodic check on a real database, through
the alert pipeline (alert, incident on the heartbeat's service, resolve when pings resume)."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.alerts import keys
from opsdesk.alerts.heartbeats import rules
from opsdesk.alerts.heartbeats import services as heartbeats
from opsdesk.alerts.heartbeats.models import Heartbeat
from opsdesk.alerts.models import Alert, RawEvent
from opsdesk.core import clock, timeline
from opsdesk.core.errors import InvalidInput
from opsdesk.core.fsm import InvalidTransition
from opsdesk.incidents.models import Incident
from tests import factories as f
from tests.alerts import factories as af
from tests.alerts.pipeline import process

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(("last", "now", "expected"), [
    (None, 0, "new"),
    (None, 10_000, "new"),  # never pinged: never alerts
    (0, 0, "up"),
    (0, 5, "up"),  # exactly on time
    (0, 5.01, "late"),
    (0, 8, "late"),  # exactly at the end of the grace
    (0, 8.01, "down"),
    (0, 600, "down"),
])
def test_state_at(last, now, expected) -> None:
    assert rules.state_at(None if last is None else at(last), 5, 3, at(now)) == expected


def test_without_grace_late_is_skipped() -> None:
    assert rules.state_at(at(0), 5, 0, at(5.01)) == "down"


@pytest.mark.parametrize(("current", "now", "expected"), [
    ("new", 100, None),
    ("up", 4, None),
    ("up", 6, "late"),
    ("up", 100, "down"),  # the worker was away: straight to down
    ("late", 6, None),
    ("late", 100, "down"),
    ("down", 100, None),
])
def test_check_step(current, now, expected) -> None:
    last = None if current == "new" else at(0)
    assert rules.check_step(current, last, 5, 3, at(now)) == expected


@pytest.mark.parametrize(("current", "expected"), [("new", "up"), ("up", None), ("late", "up"), ("down", "up")])
def test_ping_step(current, expected) -> None:
    assert rules.ping_step(current) == expected


def test_the_machine_refuses_a_jump_back_to_new() -> None:
    with pytest.raises(InvalidTransition):
        rules.MACHINE.apply("up", "new")


@pytest.mark.parametrize(("interval", "grace", "fields"), [
    (5, 0, set()), (0, 0, {"interval_minutes"}), (5, -1, {"grace_minutes"}), (10_081, 5, {"interval_minutes"}),
    (True, 5, {"interval_minutes"}), ("5", 5, {"interval_minutes"}),
])
def test_limits(interval, grace, fields) -> None:
    assert set(rules.limits_problem(interval, grace)) == fields


# --- services on a real database ---------------------------------------------------------------

@pytest.fixture
def world(db):
    client = f.make_client()
    commander = f.make_user("incident_commander", password=None)
    site = f.make_site(clients=[client])
    service = f.make_service(client, name="Backups", code="backups", criticality=3, sites=[site])
    other = f.make_service(client, name="Other", code="other", sites=[site])
    integration, key = af.make_integration("generic", client=client, default_service=other)
    with clock.frozen(T0):
        hb = heartbeats.create_heartbeat(integration, {"name": "Nightly backup", "slug": "nightly-backup",
                                                       "interval_minutes": 5, "grace_minutes": 3,
                                                       "service": service.pk, "labels": {"team": "storage"}},
                                         actor=commander)

    class W:
        pass

    w = W()
    w.__dict__.update(locals())
    return w


def _ping(w, minutes: float, slug: str = "nightly-backup", key: str | None = None) -> Heartbeat | None:
    with clock.frozen(at(minutes)):
        return heartbeats.ping(keys.hash_key(key or w.key), slug)


def _check(minutes: float) -> dict[str, int]:
    with clock.frozen(at(minutes)):
        done = heartbeats.check_overdue()
        process()
    return done


def _state(w) -> str:
    return Heartbeat.objects.get(pk=w.hb.pk).state


def test_a_new_heartbeat_never_alerts(world) -> None:
    assert _check(60 * 24) == {"late": 0, "down": 0}
    assert _state(world) == "new" and not RawEvent.objects.exists()


def test_pings_keep_it_up_and_are_counted(world) -> None:
    for minute in (0, 4, 8):
        assert _ping(world, minute).state == "up"
    assert _check(12) == {"late": 0, "down": 0}
    hb = Heartbeat.objects.get(pk=world.hb.pk)
    assert (hb.state, hb.pings, hb.last_ping_at, hb.due_at, hb.down_at) == ("up", 3, at(8), at(13), at(16))
    assert [a.summary for a in timeline.for_object(hb)] == ["Heartbeat created", "First ping: up"]


def test_a_missed_heartbeat_opens_an_incident_on_its_service_and_a_ping_resolves_it(world) -> None:
    _ping(world, 0)
    assert _check(6) == {"late": 1, "down": 0}
    assert _state(world) == "late" and not Alert.objects.exists()
    assert _check(8.5) == {"late": 0, "down": 1}
    alert = Alert.objects.get()
    assert (alert.status, alert.key, alert.service, alert.severity) == ("firing", f"heartbeat:{world.hb.pk}",
                                                                        world.service, "critical")
    assert alert.labels == {"team": "storage", "alertname": "HeartbeatMissed", "heartbeat": "nightly-backup"}
    assert "Nightly backup missed" in alert.summary
    incident = Incident.objects.get()
    assert alert.incident_id == incident.pk and list(incident.services.all()) == [world.service]
    assert _check(30) == {"late": 0, "down": 0}  # checked again: no second trigger
    assert RawEvent.objects.count() == 1
    with clock.frozen(at(31)):
        assert _ping(world, 31).state == "up"
        process()
    alert.refresh_from_db()
    assert alert.status == "resolved" and Alert.objects.count() == 1
    verbs = [a.summary for a in timeline.for_object(world.hb)]
    assert verbs[-1].startswith("Ping after the alert") and "down, alert raised" in verbs[-2]


def test_missing_again_after_the_resolve_opens_a_new_alert(world) -> None:
    _ping(world, 0)
    _check(20)
    _ping(world, 21)
    process()
    _check(40)
    assert list(Alert.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "firing"]


def test_without_its_own_service_the_integration_places_the_alert(world) -> None:
    heartbeats.update_heartbeat(world.hb, {"service": None}, actor=world.commander)
    _ping(world, 0)
    _check(20)
    assert Alert.objects.get().service == world.other


def test_a_wrong_key_or_slug_or_inactive_integration_writes_nothing(world) -> None:
    assert _ping(world, 0, key=keys.new_key()) is None
    assert _ping(world, 0, slug="other") is None
    world.integration.active = False
    world.integration.save()
    assert _ping(world, 0) is None
    hb = Heartbeat.objects.get(pk=world.hb.pk)
    assert (hb.state, hb.pings, hb.last_ping_at) == ("new", 0, None)


def test_the_check_loses_to_a_ping_that_came_first(world) -> None:
    _ping(world, 0)
    stale = Heartbeat.objects.get(pk=world.hb.pk)
    _ping(world, 9)  # after the check read it, before it wrote
    assert not heartbeats._moved(stale, "down", "x", at(9), match={"last_ping_at": stale.last_ping_at})
    assert _state(world) == "up" and not RawEvent.objects.exists()


def test_a_second_checker_finds_nothing_to_do(world) -> None:
    _ping(world, 0)
    stale = Heartbeat.objects.get(pk=world.hb.pk)
    assert _check(20)["down"] == 1
    assert not heartbeats._moved(stale, "down", "x", at(20), match={"last_ping_at": stale.last_ping_at})
    assert RawEvent.objects.count() == 1


def test_a_new_interval_moves_the_due_instant(world) -> None:
    _ping(world, 0)
    heartbeats.update_heartbeat(world.hb, {"interval_minutes": 60}, actor=world.commander)
    hb = Heartbeat.objects.get(pk=world.hb.pk)
    assert (hb.due_at, hb.down_at) == (at(60), at(63))
    assert _check(20) == {"late": 0, "down": 0}


def test_deleting_a_down_heartbeat_resolves_its_alert(world) -> None:
    _ping(world, 0)
    _check(20)
    heartbeats.delete_heartbeat(world.hb, actor=world.commander)
    process()
    assert Alert.objects.get().status == "resolved" and not Heartbeat.objects.exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"interval_minutes": 0}, "interval_minutes"),
    ({"labels": {"a": 1}}, "labels"),
])
def test_bad_input_is_refused(world, data, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        heartbeats.create_heartbeat(world.integration, {"name": "X", "slug": "x", **data}, actor=world.commander)
    assert refused.value.errors[0]["field"] == field
    assert Heartbeat.objects.count() == 1


def test_a_service_of_another_client_is_refused(world) -> None:
    foreign = f.make_service(f.make_client())
    with pytest.raises(InvalidInput):
        heartbeats.create_heartbeat(world.integration, {"name": "X", "slug": "x", "service": foreign.pk},
                                    actor=world.commander)


def test_an_inactive_integrations_heartbeats_are_paused(world) -> None:
    _ping(world, 0)
    world.integration.active = False
    world.integration.save()
    assert _check(60) == {"late": 0, "down": 0}
    assert _state(world) == "up" and not RawEvent.objects.exists()


def test_a_ping_that_read_a_state_the_check_has_since_changed_writes_nothing_and_reads_again(world) -> None:
    _ping(world, 0)
    stale = Heartbeat.objects.get(pk=world.hb.pk)
    _check(20)  # down meanwhile, its alert raised
    assert not heartbeats._pinged(stale, at(21))
    assert (_state(world), Heartbeat.objects.get(pk=world.hb.pk).pings) == ("down", 1)
    assert _ping(world, 21).state == "up"  # read again: up, and the resolve is sent
    assert [s["action"] for e in RawEvent.objects.order_by("id") for s in e.signals] == ["trigger", "resolve"]
