"""Change events (alerts.change_events): PagerDuty's /v2/change/enqueue and the generic form, mapped
by the integration's rules, recorded once as implemented standard changes that "what changed",
the service timeline and the change calendar show."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from opsdesk.alerts.models import ChangeEvent, MappingRule
from opsdesk.changes import page_queries
from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock, schedule, timeline
from opsdesk.incidents import services as incident_services
from tests import factories as f
from tests.alerts.factories import make_integration

pytestmark = pytest.mark.django_db

DEPLOYED_AT = "2026-03-02T10:15:00.000+0000"


def pagerduty_body(key: str, **payload: Any) -> dict[str, Any]:
    """A change event as PagerDuty documents it."""
    return {
        "routing_key": key,
        "payload": {
            "summary": "Build Success: billing v2.4.1", "timestamp": DEPLOYED_AT, "source": "ci-runner-7",
            "custom_details": {"service": "billing", "build_number": 2, "environment": "production"}, **payload,
        },
        "links": [{"href": "https://ci.example.net/build/2", "text": "Build 2"}],
    }


def post(path: str, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return HttpClient().post(path, data=data, content_type="application/json", **headers)


@pytest.fixture
def world() -> dict[str, Any]:
    client = f.make_client()
    site = f.make_site(clients=[client])
    billing = f.make_service(client, code="billing", name="Billing", sites=[site])
    owner = f.make_user("admin")
    integration, key = make_integration("events_v2", client=client, owner=owner)
    MappingRule.objects.create(integration=integration, position=0, label="service", operator="=", value="billing",
                               service=billing)
    MappingRule.objects.create(integration=integration, position=1, label="source", operator="=~", value="ci-.*",
                               site=site)
    return {"client": client, "site": site, "service": billing, "integration": integration, "key": key, "owner": owner}


def test_a_pagerduty_change_event_is_recorded_mapped_and_answered_like_pagerduty(world):
    response = post("/v2/change/enqueue", pagerduty_body(world["key"]))
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "success", "message": "Change event processed"}
    event = ChangeEvent.objects.get()
    assert (event.service, event.site, event.source) == (world["service"], world["site"], "ci-runner-7")
    assert event.happened_at == dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)
    assert event.labels["build_number"] == "2" and event.links[0]["href"] == "https://ci.example.net/build/2"
    change = event.change
    assert (change.type, change.state, change.title) == ("standard", "completed", "Build Success: billing v2.4.1")
    assert list(change.services.all()) == [world["service"]] and list(change.sites.all()) == [world["site"]]
    assert change.completed_at == event.happened_at and change.owner == world["owner"]
    assert [c.pk for c in change.clients.all()] == [world["client"].pk]
    entries = schedule.overlapping(event.happened_at, event.happened_at + dt.timedelta(minutes=1),
                                   service_ids=[world["service"].pk])
    assert [(p.ref, p.kind, p.state) for p in entries] == [(f"changes.changerequest:{change.pk}", "change", "completed")]
    service_log = [(a.verb, a.summary) for a in timeline.for_object(world["service"])]
    assert ("change_event", "Change: Build Success: billing v2.4.1") in service_log


def test_a_resent_event_is_answered_again_and_stored_once(world):
    body = pagerduty_body(world["key"])
    assert post("/v2/change/enqueue", body).status_code == 202
    assert post("/v2/change/enqueue", body).status_code == 202
    assert ChangeEvent.objects.count() == 1 and ChangeRequest.objects.count() == 1
    body["payload"]["summary"] = "Build Success: billing v2.4.2"
    assert post("/v2/change/enqueue", body).status_code == 202
    assert ChangeEvent.objects.count() == 2 and ChangeRequest.objects.count() == 2


def test_the_generic_form_takes_the_key_in_a_header_or_the_path(world):
    integration, key = make_integration("generic", client=world["client"], owner=world["owner"])
    MappingRule.objects.create(integration=integration, label="app", operator="=", value="billing", service=world["service"])
    body = {"summary": "Config push: billing feature flags", "source": "ansible", "custom_details": {"app": "billing"}}
    response = post("/api/v1/integrations/change-events", body, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 202, response.content
    answer = response.json()
    event = ChangeEvent.objects.get(pk=answer["id"])
    assert answer == {"status": "accepted", "id": event.pk, "duplicate": False, "change": event.change_id}
    assert event.service == world["service"] and event.site is None and event.integration == integration
    again = post(f"/api/v1/integrations/change-events/{key}", body)
    assert again.status_code == 202 and again.json()["duplicate"] is True and ChangeEvent.objects.count() == 1


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "not valid JSON"),
    ({"routing_key": "x"}, "'payload' is missing or not an object"),
    ({"payload": {"summary": "s"}}, "'routing_key' is missing or blank"),
    ("KEY", "'payload.summary' is missing or blank"),
    ("KEY-TIMESTAMP", "'payload.timestamp' is not an ISO 8601 timestamp"),
    ("KEY-LINKS", "'links[0].href' is missing or not a string"),
    ("KEY-YEAR", "'payload.timestamp' must fall between the years 2000 and 2199"),
])
def test_bad_pagerduty_input_is_refused_in_pagerdutys_shape_and_writes_nothing(world, body, error):
    if body == "KEY":
        body = pagerduty_body(world["key"], summary="")
    elif body == "KEY-TIMESTAMP":
        body = pagerduty_body(world["key"], timestamp="yesterday")
    elif body == "KEY-YEAR":
        body = pagerduty_body(world["key"], timestamp="9999-12-31T23:59:00-05:00")
    elif body == "KEY-LINKS":
        body = {**pagerduty_body(world["key"]), "links": [{"text": "no href"}]}
    response = post("/v2/change/enqueue", body)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["status"] == "invalid event" and any(error in e for e in answer["errors"]), answer
    assert not ChangeEvent.objects.exists() and not ChangeRequest.objects.exists()


def test_bad_generic_input_is_a_problem_detail_and_writes_nothing(world):
    headers = {"HTTP_X_OPSDESK_KEY": world["key"]}
    not_json = post("/api/v1/integrations/change-events", b"[1,", **headers)
    assert not_json.status_code == 400 and not_json["Content-Type"] == "application/problem+json"
    invalid = post("/api/v1/integrations/change-events", {"summary": " ", "custom_details": [1]}, **headers)
    assert invalid.status_code == 422 and invalid["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in invalid.json()["errors"]}
    assert fields == {"summary", "custom_details"}
    assert not ChangeEvent.objects.exists() and not ChangeRequest.objects.exists()


def test_unknown_or_wrong_keys_are_refused_like_the_alert_intake(world):
    _alertmanager, am_key = make_integration("alertmanager", client=world["client"])
    for key in ("odi_unknown", am_key):  # the Change Events API takes Events API v2 keys only
        response = post("/v2/change/enqueue", pagerduty_body(key))
        assert response.status_code == 400 and response.json()["errors"] == ["Invalid routing key"]
    world["integration"].active = False
    world["integration"].save()
    assert post("/v2/change/enqueue", pagerduty_body(world["key"])).status_code == 400
    body = {"summary": "Deploy"}
    assert post("/api/v1/integrations/change-events/odi_unknown", body).status_code == 404
    assert post("/api/v1/integrations/change-events/odi_unknown", b"[1,").status_code == 404  # the key first
    assert post("/api/v1/integrations/change-events", body).status_code == 401
    assert HttpClient().get("/v2/change/enqueue").status_code == 405
    assert not ChangeEvent.objects.exists() and not ChangeRequest.objects.exists()


def test_the_event_is_ranked_in_what_changed_of_an_incident_on_the_mapped_service(world):
    at = clock.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    assert post("/v2/change/enqueue", pagerduty_body(world["key"], timestamp=at.isoformat())).status_code == 202
    change = ChangeEvent.objects.get().change
    incident = incident_services.declare_incident(
        {"title": "Billing errors", "severity": "sev2", "services": [world["service"].pk]}, actor=world["owner"])
    first = incident.what_changed[0]
    assert first["ref"] == f"changes.changerequest:{change.pk}" and first["kind"] == "change"
    assert first["label"] == f"CHG-{change.pk} Build Success: billing v2.4.1" and first["url"] == f"/changes/{change.pk}/"
    assert "touches an affected service or site" in first["reasons"]


def test_a_deploy_reported_after_the_incident_opened_joins_its_what_changed(world):
    # The deploy happened before the incident, but its change event arrives after the incident
    # opened (a CI step that reports last, a retry): the open incident ranks it all the same.
    at = clock.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    incident = incident_services.declare_incident(
        {"title": "Billing errors", "severity": "sev2", "services": [world["service"].pk]}, actor=world["owner"])
    elsewhere = incident_services.declare_incident(
        {"title": "Other trouble", "severity": "sev3", "services": [f.make_service(world["client"]).pk]},
        actor=world["owner"])
    assert incident.what_changed == []
    assert post("/v2/change/enqueue", pagerduty_body(world["key"], timestamp=at.isoformat())).status_code == 202
    change = ChangeEvent.objects.get().change
    incident.refresh_from_db()
    elsewhere.refresh_from_db()
    assert [s["ref"] for s in incident.what_changed] == [f"changes.changerequest:{change.pk}"]
    assert elsewhere.what_changed == []


def test_the_event_is_in_the_change_calendar_as_an_implemented_standard_change(world):
    assert post("/v2/change/enqueue", pagerduty_body(world["key"])).status_code == 202
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    shown = page_queries.calendar_changes(world["owner"], start, start + dt.timedelta(days=7), {})
    assert [(c.title, c.type, c.state) for c in shown] == [("Build Success: billing v2.4.1", "standard", "completed")]


def test_without_a_mapping_the_integrations_defaults_place_the_event(world):
    other = f.make_service(world["client"], code="ledger")
    world["integration"].default_service = other
    world["integration"].save()
    body = pagerduty_body(world["key"], custom_details={"service": "unknown"}, source="manual")
    assert post("/v2/change/enqueue", body).status_code == 202
    event = ChangeEvent.objects.get()
    assert (event.service, event.site) == (other, None)


def test_the_integration_page_shows_its_recent_change_events_escaped(world):
    body = pagerduty_body(world["key"], summary="<script>alert(1)</script> deploy")
    body["links"] = [{"href": "javascript:alert(1)", "text": "bad"}, {"href": "https://ci.example.net/3", "text": "Build 3"}]
    assert post("/v2/change/enqueue", body).status_code == 202
    browser = HttpClient()
    browser.force_login(world["owner"])
    page = browser.get(f"/alerts/integrations/{world['integration'].pk}/").content.decode()
    assert "Recent change events" in page and "&lt;script&gt;alert(1)&lt;/script&gt; deploy" in page
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    change = ChangeEvent.objects.get().change
    assert 'href="https://ci.example.net/3"' in page and f"CHG-{change.pk}" in page


def test_the_cli_lists_recent_change_events(world):
    import io

    from django.core.management import call_command

    assert post("/v2/change/enqueue", pagerduty_body(world["key"])).status_code == 202
    out = io.StringIO()
    call_command("integration", "change-events", "--integration", str(world["integration"].pk), stdout=out)
    text = out.getvalue()
    assert "Build Success: billing" in text and "billing" in text and f"CHG-{ChangeEvent.objects.get().change_id}" in text


def test_the_api_lists_change_events_a_client_user_sees_only_their_own(world):
    from tests.conftest import Api

    assert post("/v2/change/enqueue", pagerduty_body(world["key"])).status_code == 202
    _other, other_key = make_integration("events_v2", owner=world["owner"])
    assert post("/v2/change/enqueue", pagerduty_body(other_key)).status_code == 202
    staff = Api(f.make_token(world["owner"])).get("change-events").json()
    assert staff["count"] == 2
    viewer = f.make_user("client", client=world["client"])
    mine = Api(f.make_token(viewer)).get("change-events").json()
    assert [i["integration"] for i in mine["items"]] == [world["integration"].pk]
    assert mine["items"][0]["service"] == world["service"].pk and mine["items"][0]["change"] is not None
