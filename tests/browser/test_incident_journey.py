"""Browser journey of an incident: Alertmanager posts an alert to its integration's endpoint, the
worker processes it, the incident appears in the list; the commander acknowledges it and posts a
responder note and a client update; the client user sees the client update (never the responder
one) in the portal; the commander resolves it with a reason, and the client sees it resolved."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from opsdesk.alerts import processing
from opsdesk.alerts.models import MappingRule
from opsdesk.core import clock
from opsdesk.incidents.models import Incident, UpdateTemplate
from tests import factories as f
from tests.alerts import factories as af

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUMMARY = "Filesystem /var/lib/postgresql on db1.dc1 is 97% full"
CLIENT_UPDATE = "Billing is slow to save invoices. We are freeing disk space; next update within the hour."
RESPONDER_UPDATE = "RESPONDER-ONLY: pg_wal is 80 GB, archiving stuck since 08:55"


@pytest.fixture
def world(transactional_db):
    client = f.make_client(name="Northwell Health")
    site = f.make_site(clients=[client], code="LON-DC1", name="London DC1")
    billing = f.make_service(client, name="Billing", code="billing", sites=[site], criticality=4)
    commander = f.make_user("incident_commander", username="ines", password=PASSWORD, first_name="Ines",
                            last_name="Okafor")
    f.make_user("client", client=client, username="northwell", password=PASSWORD)
    integration, key = af.make_integration("alertmanager", client=client, owner=commander, name="Prometheus DC1")
    MappingRule.objects.create(integration=integration, label="service", operator="=", value="billing",
                               service=billing)
    UpdateTemplate.objects.create(name="Journey: first words", audience="clients",
                                  body="We are looking into: {title}. Affected: {services}.")
    return {"key": key, "commander": commander, "billing": billing}


def _firing_payload() -> dict:
    payload = af.alertmanager()
    firing = payload["alerts"][0]
    firing["startsAt"] = (clock.now() - dt.timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    payload["alerts"] = [firing]
    return payload


def test_alert_to_resolved_incident(page, browser, live_server, sign_in, world):
    # Alertmanager delivers to the integration's endpoint; the worker turns it into an incident.
    response = page.request.post(f"{live_server.url}/api/v1/integrations/alertmanager/{world['key']}",
                                 data=_firing_payload())
    assert response.status in (200, 202), response.text()
    assert processing.drain() >= 1
    incident = Incident.objects.get()
    assert incident.owner == world["commander"] and world["billing"] in incident.services.all()

    # The commander finds it in the incident list and opens it.
    sign_in(page, "ines", PASSWORD)
    page.get_by_role("link", name="Incidents", exact=True).first.click()
    page.wait_for_url(re.compile(r"/incidents/$"))
    rows = page.get_by_test_id("incident-rows")
    assert SUMMARY in rows.inner_text()
    rows.get_by_role("link", name=SUMMARY).click()
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
    assert page.get_by_test_id("state").inner_text() == "Triggered"
    assert "Billing" in page.get_by_test_id("impact").inner_text()
    assert SUMMARY in page.locator("#alerts").inner_text()

    # Acknowledge: the one next action at the top.
    page.get_by_test_id("next-action").get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Acknowledged"

    # A responder update and a client update.
    responders = page.get_by_test_id("audience-responders")
    responders.get_by_text("Post an update").click()
    responders.locator("textarea[name='responders-body']").fill(RESPONDER_UPDATE)
    responders.get_by_role("button", name=re.compile("^Post for")).click()
    page.wait_for_load_state()
    # The template picker fills the form in (htmx swaps in the audience's block).
    page.get_by_test_id("audience-clients").locator("select[name='template']").select_option(
        label="Journey: first words")
    body = page.get_by_test_id("audience-clients").locator("textarea[name='clients-body']")
    body.wait_for(state="visible")
    assert body.input_value() == f"We are looking into: {SUMMARY}. Affected: Billing."
    body.fill(CLIENT_UPDATE)
    clients = page.get_by_test_id("audience-clients")
    clients.get_by_role("button", name=re.compile("^Post for")).click()
    page.wait_for_load_state()
    assert CLIENT_UPDATE in page.get_by_test_id("audience-clients").inner_text()
    assert RESPONDER_UPDATE in page.get_by_test_id("audience-responders").inner_text()

    # The client user sees the client update in the portal, never the responder one.
    client_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        client_page = client_context.new_page()
        sign_in(client_page, "northwell", PASSWORD)
        client_page.goto(f"{live_server.url}/work/portal/")
        portal = client_page.get_by_test_id("portal-incidents")
        assert SUMMARY in portal.inner_text() and "We are working on it" in portal.inner_text()
        portal.get_by_role("link", name=SUMMARY).click()
        client_page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
        assert CLIENT_UPDATE in client_page.get_by_test_id("client-updates").inner_text()
        assert "RESPONDER-ONLY" not in client_page.content()
        assert client_page.get_by_test_id("client-state").inner_text() == "We are working on it"
        ARTIFACTS.mkdir(exist_ok=True)
        client_page.screenshot(path=str(ARTIFACTS / "incident-client.png"), full_page=True)

        # The commander resolves it, saying what fixed it.
        page.locator("#id_reason").fill("Freed 60 GB on db1 and restarted WAL archiving")
        page.get_by_test_id("transitions").get_by_role("button", name="Resolve").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("state").inner_text() == "Resolved"
        assert "Freed 60 GB on db1" in page.locator("#timeline-h").locator("..").inner_text()
        page.screenshot(path=str(ARTIFACTS / "incident-resolved.png"), full_page=True)

        client_page.reload()
        assert client_page.get_by_test_id("client-state").inner_text() == "Resolved"
        assert "Freed 60 GB" not in client_page.content()
    finally:
        client_context.close()
