"""Incident and alert pages: they render for staff, client users see only their incidents and only
client-visible updates, the forms call the services, bad input shows the form again (never a 500),
user text is escaped, and integration keys are shown once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.alerts.models import Alert, Integration
from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from opsdesk.incidents import roles, services, updates
from opsdesk.incidents.models import (
    Incident,
    IncidentAlert,
    IncidentRole,
    IncidentUpdate,
    UpdateTemplate,
)
from tests import factories as f
from tests.alerts.pipeline import make_integration
from tests.changes.helpers import make_change

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"
RESPONDER_TEXT = "RESPONDER-ONLY: p99 4 s on storage array B"
CLIENT_TEXT = "Records open slowly; we are moving load to the standby array."


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def body_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def world():
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    site_a = f.make_site(clients=[a], code="lon-a")
    svc_a = f.make_service(a, name="Patient records", sites=[site_a])
    svc_b = f.make_service(b, name="Beta payments")
    commander = f.make_user("incident_commander", password=None, first_name="Ines", last_name="Commander")
    desk = f.make_user("service_desk", password=None)
    incident = services.declare_incident(
        {"title": f"Records slow {XSS}", "summary": f"Summary {XSS}", "severity": "sev2", "services": [svc_a.pk]},
        actor=commander,
    )
    other = services.declare_incident({"title": "Beta payments down", "services": [svc_b.pk]}, actor=commander)
    updates.post_update(incident, {"audience": "responders", "body": RESPONDER_TEXT}, actor=commander)
    updates.post_update(incident, {"audience": "clients", "body": CLIENT_TEXT}, actor=commander)
    updates.post_update(incident, {"audience": "end_users", "body": "Slow records", "cannot_do": "Open scans",
                                   "can_do": "Write notes", "workaround": "Use paper"}, actor=commander)
    roles.assign_role(incident, "communications", desk.pk, actor=commander, note=f"Handoff {XSS}")
    return {
        "a": a, "b": b, "site_a": site_a, "svc_a": svc_a, "svc_b": svc_b, "commander": commander, "desk": desk,
        "incident": incident, "other": other,
        "user_a": f.make_user("client", client=a, password=None),
        "user_b": f.make_user("client", client=b, password=None),
    }


def _alert_for(incident, client, service):
    integration = make_integration(client, kind="alertmanager", name=f"Prometheus {XSS}")
    now = clock.now()
    alert = Alert.objects.create(
        integration=integration, client=client, key="fp1", summary=f"Disk full {XSS}", labels={"service": "records"},
        annotations={"runbook_url": "https://runbooks.example.net/disk", "description": XSS}, details={"n": 1},
        service=service, first_seen_at=now, last_seen_at=now, started_at=now, incident_id=incident.pk,
    )
    IncidentAlert.objects.create(incident=incident, alert=alert, relation="trigger", reason=f"Opened it {XSS}",
                                 linked_at=now)
    return integration, alert


def test_pages_render_for_staff(world):
    integration, alert = _alert_for(world["incident"], world["a"], world["svc_a"])
    http = login(world["commander"])
    i = world["incident"]
    for url in (
        reverse("incidents:list"),
        reverse("incidents:list") + "?status=open&severity=sev2&state=triggered&service=1&client=1",
        reverse("incidents:list") + "?status=bogus&service=x&page=99",
        reverse("incidents:detail", args=[i.pk]),
        reverse("incidents:new"),
        reverse("incidents:edit", args=[i.pk]),
        reverse("alerts:list"),
        reverse("alerts:list") + "?status=firing&flapping=no&maintenance=yes&integration=1",
        reverse("alerts:detail", args=[alert.pk]),
        reverse("alerts:integrations"),
        reverse("alerts:integration-new"),
        reverse("alerts:integration", args=[integration.pk]),
        reverse("workorders:portal"),
    ):
        response = http.get(url)
        assert response.status_code == 200, url
        assert b"<script>alert(1)" not in response.content, url


def test_user_text_is_escaped(world):
    _alert_for(world["incident"], world["a"], world["svc_a"])
    http = login(world["commander"])
    for url in (reverse("incidents:list"), reverse("incidents:detail", args=[world["incident"].pk])):
        body = body_of(http.get(url))
        assert XSS not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
    body = body_of(login(world["user_a"]).get(reverse("incidents:detail", args=[world["incident"].pk])))
    assert XSS not in body and "&lt;script&gt;" in body


def test_incident_page_has_what_the_crisis_needs(world):
    i = world["incident"]
    body = body_of(login(world["commander"]).get(reverse("incidents:detail", args=[i.pk])))
    assert 'data-testid="state"' in body and "Triggered" in body and "SEV2" in body
    assert "Ines Commander" in body
    assert 'data-testid="next-action"' in body and ">Acknowledge</button>" in body
    assert "Communications lead" in body and "awaiting acknowledgement" in body
    assert "Patient records" in body and "Alpha Health" in body and "lon-a" in body  # impact
    assert RESPONDER_TEXT in body and CLIENT_TEXT in body and "Use paper" in body
    assert "Time to acknowledge" in body
    assert "What can people still do?" in body  # the end users' form
    assert 'id="timeline-h"' in body


def test_list_puts_open_incidents_first_and_shows_next_update(world):
    services.transition_incident(world["other"], "resolved", actor=world["commander"], reason="fixed")
    Incident.objects.filter(pk=world["incident"].pk).update(next_update_due_at=clock.now() - dt.timedelta(minutes=7))
    body = body_of(login(world["commander"]).get(reverse("incidents:list")))
    assert body.index(f'data-incident="{world["incident"].pk}"') < body.index(f'data-incident="{world["other"].pk}"')
    assert "overdue by 7 min" in body or "overdue by 6 min" in body
    only_closed = body_of(login(world["commander"]).get(reverse("incidents:list") + "?status=closed"))
    assert f'data-incident="{world["incident"].pk}"' not in only_closed


def test_client_users_see_only_their_incidents_and_client_updates(world):
    i, other = world["incident"], world["other"]
    http = login(world["user_a"])
    listing = body_of(http.get(reverse("incidents:list")))
    assert "Records slow" in listing and "Beta payments" not in listing
    assert http.get(reverse("incidents:detail", args=[other.pk])).status_code == 404
    page = body_of(http.get(reverse("incidents:detail", args=[i.pk])))
    assert CLIENT_TEXT in page and "Use paper" in page
    assert "RESPONDER-ONLY" not in page and "storage array B" not in page
    assert "Communications lead" not in page and "Handoff" not in page  # no roles
    assert "What changed" not in page and "<form" not in page.split('id="main"')[1]  # no forms for clients
    assert "Summary" not in page
    assert "We are aware of a problem" in page
    portal = body_of(http.get(reverse("workorders:portal")))
    assert 'data-testid="portal-incidents"' in portal and "Records slow" in portal and "Beta payments" not in portal
    assert login(world["user_b"]).get(reverse("incidents:detail", args=[i.pk])).status_code == 404
    for url in (reverse("incidents:new"), reverse("alerts:list"), reverse("alerts:integrations"),
                reverse("alerts:integration-new"), reverse("incidents:edit", args=[i.pk])):
        assert http.get(url).status_code == 404, url
    response = http.post(reverse("incidents:post-update", args=[i.pk, "clients"]), {"clients-body": "hi"})
    assert response.status_code == 404
    assert not IncidentUpdate.objects.filter(body="hi").exists()


def test_declare_creates_and_bad_input_shows_errors(world):
    http = login(world["commander"])
    bad = http.post(reverse("incidents:new"), {"title": "", "severity": "sev9"})
    assert bad.status_code == 400 and "field-error" in body_of(bad)
    future = (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    refused = http.post(reverse("incidents:new"), {"title": "Later", "severity": "sev3", "started_at": future})
    assert refused.status_code == 400 and "cannot start in the future" in body_of(refused)
    ok = http.post(reverse("incidents:new"), {"title": "Email down", "severity": "sev1",
                                              "services": [world["svc_a"].pk]})
    made = Incident.objects.get(title="Email down")
    assert ok.status_code == 302 and ok["Location"] == reverse("incidents:detail", args=[made.pk])
    assert made.severity == "sev1" and made.owner == world["commander"]
    assert list(made.clients.all()) == [world["a"]]


def test_edit_recomputes_impact(world):
    i = world["incident"]
    http = login(world["commander"])
    response = http.post(reverse("incidents:edit", args=[i.pk]), {
        "title": "Records and payments slow", "severity": "sev1", "summary": "", "services": [world["svc_a"].pk,
                                                                                           world["svc_b"].pk]})
    assert response.status_code == 302
    i.refresh_from_db()
    assert i.severity == "sev1" and set(i.clients.all()) == {world["a"], world["b"]}
    assert http.post(reverse("incidents:edit", args=[i.pk]), {"title": ""}).status_code == 400


def test_transitions_with_reason(world):
    i = world["incident"]
    http = login(world["commander"])
    url = reverse("incidents:transition", args=[i.pk])
    assert http.post(url, {"to": "acknowledged"}).status_code == 302
    i.refresh_from_db()
    assert i.state == "acknowledged" and i.acknowledged_at is not None
    no_reason = http.post(url, {"to": "resolved"})
    assert no_reason.status_code == 400 and "say why" in body_of(no_reason)
    wrong = http.post(url, {"to": "closed", "reason": "x"})
    assert wrong.status_code == 400 and "can move to" in body_of(wrong)
    assert http.post(url, {"to": "nonsense"}).status_code == 400
    assert http.post(url, {"to": "resolved", "reason": "Moved load to the standby array"}).status_code == 302
    i.refresh_from_db()
    assert i.state == "resolved" and i.next_update_due_at is None
    page = body_of(http.get(reverse("incidents:detail", args=[i.pk])))
    assert "Moved load to the standby array" in page  # on the timeline
    client_page = body_of(login(world["user_a"]).get(reverse("incidents:detail", args=[i.pk])))
    assert "Resolved" in client_page and "standby array" not in client_page.replace(CLIENT_TEXT, "")


def test_roles_give_and_acknowledge(world):
    i, desk = world["incident"], world["desk"]
    http = login(world["commander"])
    response = http.post(reverse("incidents:assign-role", args=[i.pk, "commander"]),
                         {"commander-user": world["commander"].pk, "commander-note": "I run it"})
    assert response.status_code == 302
    assert IncidentRole.objects.get(incident=i, role="commander").user == world["commander"]
    assert http.post(reverse("incidents:assign-role", args=[i.pk, "commander"]), {}).status_code == 400
    assert http.post(reverse("incidents:assign-role", args=[i.pk, "janitor"]), {}).status_code == 404
    # Only the holder acknowledges.
    http.post(reverse("incidents:acknowledge-role", args=[i.pk, "communications"]))
    assert IncidentRole.objects.get(incident=i, role="communications").acknowledged_at is None
    desk_http = login(desk)
    page = body_of(desk_http.get(reverse("incidents:detail", args=[i.pk])))
    assert "Acknowledge your role: Communications lead" not in page  # triggered: acknowledging the incident comes first
    assert desk_http.post(reverse("incidents:acknowledge-role", args=[i.pk, "communications"])).status_code == 302
    assert IncidentRole.objects.get(incident=i, role="communications").acknowledged_at is not None


def test_owner_hand_over(world):
    i = world["incident"]
    http = login(world["commander"])
    assert http.post(reverse("incidents:owner", args=[i.pk]), {"owner": world["desk"].pk}).status_code == 302
    i.refresh_from_db()
    assert i.owner == world["desk"]
    assert http.post(reverse("incidents:owner", args=[i.pk]), {"owner": world["user_a"].pk}).status_code == 400


def test_updates_post_and_errors_rerender(world):
    i = world["incident"]
    http = login(world["commander"])
    later = (clock.now() + dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    ok = http.post(reverse("incidents:post-update", args=[i.pk, "clients"]),
                   {"clients-body": "Standby array is taking load.", "clients-next_update_at": later})
    assert ok.status_code == 302
    assert IncidentUpdate.objects.filter(incident=i, audience="clients", body="Standby array is taking load.").exists()
    i.refresh_from_db()
    assert i.next_update_due_at.strftime("%Y-%m-%dT%H:%M") == later
    missing = http.post(reverse("incidents:post-update", args=[i.pk, "end_users"]), {"end_users-body": "Slow"})
    assert missing.status_code == 400 and "what they can or cannot do" in body_of(missing)
    empty = http.post(reverse("incidents:post-update", args=[i.pk, "responders"]), {"responders-body": ""})
    assert empty.status_code == 400
    past = http.post(reverse("incidents:post-update", args=[i.pk, "clients"]),
                     {"clients-body": "x", "clients-next_update_at": "2001-01-01T00:00"})
    assert past.status_code == 400 and "must be in the future" in body_of(past)
    assert http.post(reverse("incidents:post-update", args=[i.pk, "martians"]), {}).status_code == 404


def test_template_picker_prefills_the_form(world):
    i = world["incident"]
    template = UpdateTemplate.objects.create(name="First words", audience="end_users",
                                             body="{title} is affected; state {state}.", cannot_do="Open {services}")
    body = body_of(login(world["commander"]).get(reverse("incidents:detail", args=[i.pk]) + f"?template={template.pk}"))
    assert "First words" in body
    assert "is affected; state Triggered." in body and "Open Patient records" in body
    assert login(world["commander"]).get(reverse("incidents:detail", args=[i.pk]) + "?template=99999").status_code == 200


def test_notes_and_link_change(world):
    i = world["incident"]
    http = login(world["commander"])
    assert http.post(reverse("incidents:note", args=[i.pk]), {"text": f"Restarted pods {XSS}"}).status_code == 302
    assert http.post(reverse("incidents:note", args=[i.pk]), {"text": ""}).status_code == 400
    admin = f.make_user("admin", password=None)
    change = make_change(admin, services_=[world["svc_a"]], start=clock.now() - dt.timedelta(hours=2),
                         title="Storage firmware")
    Incident.objects.filter(pk=i.pk).update(what_changed=[{
        "ref": f"changes.changerequest:{change.pk}", "kind": "change", "label": f"CHG-{change.pk} Storage firmware",
        "start_at": change.window_start.isoformat(), "end_at": change.window_end.isoformat(), "state": "implementing",
        "url": f"/changes/{change.pk}/", "score": 95, "reasons": ["in progress when the incident started"],
    }])
    page = body_of(http.get(reverse("incidents:detail", args=[i.pk])))
    assert "Link as cause" in page and "In progress when the incident started" in page
    assert "Restarted pods &lt;script&gt;" in page
    refused = http.post(reverse("incidents:link-change", args=[i.pk]), {"change": change.pk}, follow=True)
    assert "Only a change being or already implemented" in body_of(refused)  # a draft: the service says why
    ChangeRequest.objects.filter(pk=change.pk).update(state="implementing")
    response = http.post(reverse("incidents:link-change", args=[i.pk]), {"change": change.pk})
    assert response.status_code == 302
    i.refresh_from_db()
    assert i.change_id == change.pk and ChangeRequest.objects.get(pk=change.pk).caused_incident
    assert "Linked as cause" in body_of(http.get(reverse("incidents:detail", args=[i.pk])))
    assert http.post(reverse("incidents:link-change", args=[i.pk]), {"change": 999999}).status_code == 302


def test_alert_pages_and_actions(world):
    _integration, alert = _alert_for(world["incident"], world["a"], world["svc_a"])
    http = login(world["commander"])
    detail = body_of(http.get(reverse("alerts:detail", args=[alert.pk])))
    assert "runbooks.example.net/disk" in detail and "&lt;script&gt;" in detail
    assert f"INC-{world['incident'].pk}" in detail
    listing = body_of(http.get(reverse("alerts:list") + "?status=firing"))
    assert f'data-alert="{alert.pk}"' in listing
    assert f'data-alert="{alert.pk}"' not in body_of(http.get(reverse("alerts:list") + "?status=resolved"))
    assert http.post(reverse("alerts:acknowledge", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    http.post(reverse("alerts:acknowledge", args=[alert.pk]))  # refused: a message, not a crash
    assert http.post(reverse("alerts:resolve", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"


def _integration_post(client, **extra):
    data = {
        "name": "Prometheus DC1", "kind": "alertmanager", "client": client.pk, "flap_threshold": 4,
        "flap_window_minutes": 30, "signature_header": "", "timestamp_header": "",
        "rules-TOTAL_FORMS": "2", "rules-INITIAL_FORMS": "0", "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "200",
        "rules-0-label": "", "rules-0-operator": "=", "rules-0-value": "",
        "rules-1-label": "", "rules-1-operator": "=", "rules-1-value": "",
    }
    data.update(extra)
    return data


def test_integration_is_made_and_its_key_shown_once(world):
    http = login(world["commander"])
    response = http.post(reverse("alerts:integration-new"), _integration_post(
        world["a"], **{"rules-0-label": "service", "rules-0-value": "records", "rules-0-service": world["svc_a"].pk,
                       "rules-1-label": "instance", "rules-1-operator": "=~", "rules-1-value": "lon-.*",
                       "rules-1-site": world["site_a"].pk}))
    integration = Integration.objects.get(name="Prometheus DC1")
    assert response.status_code == 302 and response["Location"] == reverse("alerts:integration-key", args=[integration.pk])
    assert [str(r) for r in integration.rules.all()] == ['service="records"', 'instance=~"lon-.*"']
    shown = body_of(http.get(response["Location"]))
    key = re.search(r'data-testid="integration-key">([^<]+)<', shown).group(1)
    assert key.startswith(integration.key_prefix)
    assert f"/api/v1/integrations/alertmanager/{key}" in shown and "webhook_configs" in shown
    again = http.get(response["Location"])
    assert again.status_code == 302 and key not in body_of(http.get(again["Location"]))
    # Rotating shows a new key once; the old one is gone.
    rotated = http.post(reverse("alerts:rotate-key", args=[integration.pk]))
    new = re.search(r'data-testid="integration-key">([^<]+)<', body_of(http.get(rotated["Location"]))).group(1)
    assert new != key


def test_grafana_integration_shows_signing_secret(world):
    http = login(world["commander"])
    response = http.post(reverse("alerts:integration-new"), _integration_post(
        world["a"], name="Grafana", kind="grafana", signature_header="X-Grafana-Alerting-Signature"))
    shown = body_of(http.get(response["Location"]))
    assert 'data-testid="signing-secret">ods_' in shown and "HMAC Signature" in shown
    events = http.post(reverse("alerts:integration-new"), _integration_post(world["a"], name="PD", kind="events_v2"))
    shown = body_of(http.get(events["Location"]))
    assert "pagerduty_configs" in shown and "/v2/enqueue" in shown and "signing-secret" not in shown


def test_integration_form_errors_rerender(world):
    http = login(world["commander"])
    bad = http.post(reverse("alerts:integration-new"), _integration_post(
        world["a"], name="", **{"rules-0-label": "service", "rules-0-value": "x"}))
    assert bad.status_code == 400 and "Map to a service or a site" in body_of(bad)
    wrong_client = http.post(reverse("alerts:integration-new"), _integration_post(
        world["a"], default_service=world["svc_b"].pk))
    assert wrong_client.status_code == 400 and "no service" in body_of(wrong_client)
    bad_regex = http.post(reverse("alerts:integration-new"), _integration_post(
        world["a"], **{"rules-0-label": "instance", "rules-0-operator": "=~", "rules-0-value": "([",
                       "rules-0-site": world["site_a"].pk}))
    assert bad_regex.status_code == 400
    more = http.post(reverse("alerts:integration-new"), _integration_post(world["a"], more_rows="1"))
    assert more.status_code == 200 and 'name="rules-4-label"' in body_of(more)
    assert not Integration.objects.exists()
    desk = login(world["desk"])  # the service desk may not manage integrations
    assert desk.get(reverse("alerts:integration-new")).status_code == 403


def test_integration_edit(world):
    integration = make_integration(world["a"], kind="generic", name="Scripts")
    http = login(world["commander"])
    page = body_of(http.get(reverse("alerts:integration", args=[integration.pk])))
    assert "/api/v1/integrations/generic/" in page and "curl" in page
    assert 'name="group_window_minutes"' in page and 'name="reopen_window_minutes"' in page
    data = _integration_post(world["a"], name="Backup scripts", active="", group_window_minutes="120",
                             reopen_window_minutes="15", **{
        "rules-0-label": "job", "rules-0-value": "backup", "rules-0-service": world["svc_a"].pk})
    response = http.post(reverse("alerts:integration", args=[integration.pk]), data)
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Backup scripts" and not integration.active and integration.kind == "generic"
    assert (integration.group_window_minutes, integration.reopen_window_minutes) == (120, 15)
    assert [str(r) for r in integration.rules.all()] == ['job="backup"']


def test_navigation_links_incidents(world):
    body = body_of(login(world["user_a"]).get("/"))
    assert f'href="{reverse("incidents:list")}"' in body


def test_filters_answer_htmx_with_the_rows_only(world):
    http = login(world["commander"])
    response = http.get(reverse("incidents:list") + "?severity=sev2", HTTP_HX_REQUEST="true")
    body = body_of(response)
    assert response.status_code == 200 and 'data-testid="incident-rows"' in body and "<html" not in body
    assert "Records slow" in body and "Beta payments" not in body
    alerts = body_of(http.get(reverse("alerts:list"), HTTP_HX_REQUEST="true"))
    assert 'data-testid="alert-rows"' in alerts and "<html" not in alerts


def test_staff_without_the_permission_reads_but_does_not_act(world):
    engineer = login(f.make_user("engineer", password=None))
    i = world["incident"]
    page = body_of(engineer.get(reverse("incidents:detail", args=[i.pk])))
    assert RESPONDER_TEXT in page and 'data-testid="transitions"' not in page and "Post an update" not in page
    assert engineer.post(reverse("incidents:transition", args=[i.pk]), {"to": "acknowledged"}).status_code == 403
    assert engineer.get(reverse("incidents:new")).status_code == 403
    i.refresh_from_db()
    assert i.state == "triggered"


def test_list_query_counts_are_bounded(world, django_assert_max_num_queries):
    for n in range(25):
        incident = services.declare_incident(
            {"title": f"Incident {n}", "services": [world["svc_a"].pk], "sites": [world["site_a"].pk]},
            actor=world["commander"])
        roles.assign_role(incident, "commander", world["commander"].pk, actor=world["commander"])
        Alert.objects.create(
            integration=make_integration(world["a"], name=f"Prom {n}"), client=world["a"], key=f"k{n}",
            summary=f"Alert {n}", service=world["svc_a"], site=world["site_a"], first_seen_at=clock.now(),
            last_seen_at=clock.now(), started_at=clock.now(), incident_id=incident.pk,
        )
    http = login(world["commander"])
    with django_assert_max_num_queries(20):
        assert http.get(reverse("incidents:list")).status_code == 200
    with django_assert_max_num_queries(20):
        assert http.get(reverse("alerts:list")).status_code == 200
    # The portal's incidents section adds a fixed number of queries, whatever the number of incidents.
    portal = login(world["user_a"])
    with CaptureQueriesContext(connection) as before:
        assert portal.get(reverse("workorders:portal")).status_code == 200
    for n in range(5):
        services.declare_incident({"title": f"More {n}", "services": [world["svc_a"].pk]}, actor=world["commander"])
    with CaptureQueriesContext(connection) as after:
        assert portal.get(reverse("workorders:portal")).status_code == 200
    assert len(after) == len(before)
