"""Heartbeats on the integration page: listed with state, last ping and next due; added by a form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from opsdesk.alerts import keys
from opsdesk.alerts.heartbeats import services as heartbeats
from opsdesk.alerts.heartbeats.models import Heartbeat
from opsdesk.core import clock
from tests import factories as f
from tests.alerts import factories as af

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def page():
    admin = f.make_user("admin", password="pw")
    http = HttpClient()
    http.force_login(admin)
    client = f.make_client()
    service = f.make_service(client, name="Backups")
    integration, key = af.make_integration("generic", client=client)
    return {"http": http, "integration": integration, "key": key, "service": service, "admin": admin}


def test_the_page_lists_heartbeats_with_state_last_ping_and_next_due(page) -> None:
    hb = heartbeats.create_heartbeat(page["integration"], {"name": "<b>Nightly</b>", "slug": "nightly",
                                                           "interval_minutes": 60}, actor=page["admin"])
    with clock.frozen(T0):
        heartbeats.ping(keys.hash_key(page["key"]), "nightly")
    body = page["http"].get(f"/alerts/integrations/{page['integration'].pk}/").content.decode()
    assert f'data-heartbeat="{hb.pk}"' in body and "&lt;b&gt;Nightly&lt;/b&gt;" in body
    assert "2026-12-07 09:00:00 UTC" in body and "2026-12-07 10:00 UTC" in body and ">Up<" in body
    assert "/api/v1/heartbeats/nightly/ping" in body and 'data-testid="heartbeat-form"' in body


def test_the_form_adds_a_heartbeat(page) -> None:
    url = f"/alerts/integrations/{page['integration'].pk}/heartbeats/new/"
    answer = page["http"].post(url, {"name": "Cron", "slug": "cron", "interval_minutes": 15, "grace_minutes": 2,
                                     "severity": "warning", "service": page["service"].pk})
    assert answer.status_code == 302 and answer["Location"].endswith("#heartbeats")
    hb = Heartbeat.objects.get()
    assert (hb.name, hb.slug, hb.interval_minutes, hb.grace_minutes, hb.severity, hb.service) == (
        "Cron", "cron", 15, 2, "warning", page["service"])


@pytest.mark.parametrize("data", [
    {"name": "Cron", "slug": "has space", "interval_minutes": 15, "grace_minutes": 2, "severity": "error"},
    {"name": "Cron", "slug": "cron", "interval_minutes": 0, "grace_minutes": 2, "severity": "error"},
])
def test_bad_input_shows_the_form_again(page, data) -> None:
    answer = page["http"].post(f"/alerts/integrations/{page['integration'].pk}/heartbeats/new/", data)
    assert answer.status_code == 400 and b"field-error" in answer.content
    assert not Heartbeat.objects.exists()


def test_a_slug_already_used_is_refused_on_the_form(page) -> None:
    heartbeats.create_heartbeat(page["integration"], {"name": "Cron", "slug": "cron"}, actor=page["admin"])
    answer = page["http"].post(f"/alerts/integrations/{page['integration'].pk}/heartbeats/new/", {
        "name": "Again", "slug": "cron", "interval_minutes": 5, "grace_minutes": 5, "severity": "error"})
    assert answer.status_code == 400 and b"already exists" in answer.content
    assert Heartbeat.objects.count() == 1


def test_engineers_cannot_add(page) -> None:
    http = HttpClient()
    http.force_login(f.make_user("engineer"))
    answer = http.post(f"/alerts/integrations/{page['integration'].pk}/heartbeats/new/", {"name": "X", "slug": "x"})
    assert answer.status_code == 403 and not Heartbeat.objects.exists()
