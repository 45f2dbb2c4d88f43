"""A real sender of change events: the official PagerDuty Python client (`pagerduty`) against a live
`opsdesk serve` on loopback (its lean intake and its web port), then an alert from the same client
opens an incident on the mapped service, whose "what changed" ranks the reported deploy first.

The integration is made as a user would (`opsdesk integration create ... --rule`); the rules read
the change event's custom_details (`service`) and the alert's payload.component as labels.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pagerduty
import pytest

from tests import factories as f

from .peers import Database, Serve, opsdesk, opsdesk_env, request, wait_for


def sender(key: str, port: int) -> pagerduty.EventsApiV2Client:
    """PagerDuty's own client, pointed at opsdesk on loopback (never through a proxy).

    Its `url` setter accepts https:// only; opsdesk serves plain HTTP on loopback here (TLS is the
    reverse proxy's job in production), so the base URL is set past that check. Everything else
    (the body it builds, routing_key, headers, its retries and its check of the answer) is the client's.
    """
    client = pagerduty.EventsApiV2Client(key, trust_env=False)
    client._url = f"http://127.0.0.1:{port}"
    return client


@pytest.mark.django_db(transaction=True)
def test_pagerduty_client_change_events_appear_in_what_changed(process_logs: Path) -> None:
    client = f.make_client(code="acme", name="Acme")
    billing = f.make_service(client, code="billing", name="Billing")
    admin = f.make_user("admin", username="oncall")  # owns the recorded changes and the incident
    token = f.make_token(admin)
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database)
    key = opsdesk(env, "integration", "create", "acme", "events_v2", "--rule", "service=billing->service:billing",
                  "--rule", "component=billing->service:billing", "--quiet").strip()
    serve = Serve(env, process_logs / "opsdesk-serve.log")
    deployed = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat()
    payload = {"summary": "Deploy billing v2.4.1", "source": "ci-runner-7", "timestamp": deployed,
               "custom_details": {"service": "billing", "build": 241}}
    links = [{"href": "https://ci.example.net/build/241", "text": "Build 241"}]
    try:
        serve.start_server()
        lean = sender(key, serve.intake_port)
        lean.send_change_event(payload=payload, links=links)
        lean.send_change_event(payload=payload, links=links)  # a retry: stored once
        sender(key, serve.port).send_change_event(  # the web port's Django views serve the same path
            payload={**payload, "summary": "Config push: billing flags"})
        rows = database.query("SELECT summary, service_id, change_id FROM alerts_changeevent ORDER BY id")
        assert [(s, svc) for s, svc, _ in rows] == [("Deploy billing v2.4.1", billing.pk),
                                                    ("Config push: billing flags", billing.pk)]
        deploy_change = rows[0][2]
        states = database.query("SELECT type, state FROM changes_changerequest WHERE id = %s", (deploy_change,))
        assert states == [("standard", "completed")]

        lean.send_event("trigger", payload={"summary": "Billing 5xx above 5%", "source": "lb1", "severity": "critical",
                                            "component": "billing"})
        headers = {"Authorization": f"Bearer {token}"}

        def incidents() -> list[dict[str, Any]]:
            status, body = request(serve.port, "GET", f"/api/v1/incidents?service={billing.pk}", headers=headers)
            assert status == 200, body
            return list(body["items"])

        found = wait_for(incidents, lambda items: len(items) == 1, "an incident on Billing")
        status, incident = request(serve.port, "GET", f"/api/v1/incidents/{found[0]['id']}", headers=headers)
        assert status == 200, incident
        ranked = incident["what_changed"]
        assert ranked[0]["ref"] == f"changes.changerequest:{deploy_change}", ranked
        assert ranked[0]["label"] == f"CHG-{deploy_change} Deploy billing v2.4.1"
        assert "touches an affected service or site" in ranked[0]["reasons"]
        assert {r["label"].split(" ", 1)[1] for r in ranked} >= {"Deploy billing v2.4.1", "Config push: billing flags"}
    finally:
        serve.stop()
