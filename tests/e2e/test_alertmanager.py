"""A real Prometheus Alertmanager delivering to a real opsdesk: alerts become incidents, repeats one
alert, resolves resolve.

Alertmanager (the Debian package's binary, on free loopback ports, no clustering) routes by label to
two receivers, configured as a user would from opsdesk's integration page:

- ``webhook_configs`` -> the lean intake (``opsdesk intake``, started by ``opsdesk serve``) at
  ``/api/v1/integrations/alertmanager/<key>``;
- ``pagerduty_configs`` (Events API v2) -> the Django views on ``opsdesk serve``'s web port at
  ``/v2/enqueue``, with the routing key of an ``events_v2`` integration.

``opsdesk serve`` also runs the worker, which processes accepted events every second. The test only
talks to Alertmanager's API (``POST /api/v2/alerts``, as Prometheus does) and reads opsdesk's REST
API and database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f

from .peers import Alertmanager, Database, Serve, opsdesk, opsdesk_env, request, wait_for

# Short timings, so a notification follows a change within about a second. resolve_timeout only
# applies to alerts posted without endsAt (Prometheus always sends one).
CONFIG = """\
global:
  resolve_timeout: 3s
route:
  receiver: opsdesk-webhook
  group_by: [alertname]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 2s
  routes:
    - receiver: opsdesk-pagerduty
      matchers: ['via="pagerduty"']
receivers:
  - name: opsdesk-webhook
    webhook_configs:
      - url: "http://127.0.0.1:{intake_port}/api/v1/integrations/alertmanager/{am_key}"
        send_resolved: true
  - name: opsdesk-pagerduty
    pagerduty_configs:
      - routing_key: "{pd_key}"
        url: "http://127.0.0.1:{web_port}/v2/enqueue"
        component: '{{{{ .CommonLabels.service }}}}'
        send_resolved: true
"""


def iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def am_alert(name: str, summary: str, ends_in: dt.timedelta | None, **labels: str) -> dict[str, Any]:
    """An alert as Prometheus posts it (endsAt ahead while firing, in the past once resolved)."""
    now = dt.datetime.now(dt.UTC)
    alert: dict[str, Any] = {
        "labels": {"alertname": name, **labels}, "annotations": {"summary": summary},
        "startsAt": iso(now - dt.timedelta(minutes=2)), "generatorURL": "http://prometheus.example.net/graph",
    }
    if ends_in is not None:
        alert["endsAt"] = iso(now + ends_in)
    return alert


FIRING = dt.timedelta(minutes=10)
RESOLVED = -dt.timedelta(seconds=1)


class Opsdesk:
    """Reads through opsdesk's REST API with an admin's token."""

    def __init__(self, serve: Serve, token: str) -> None:
        self.serve = serve
        self.token = token

    def get(self, path: str) -> Any:
        status, body = request(self.serve.port, "GET", path, headers={"Authorization": f"Bearer {self.token}"})
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    def alerts(self, integration: int) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/alerts?integration={integration}&limit=500")["items"])

    def alerts_with_key(self, integration: int, key: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts(integration) if a["key"] == key]


def brief(alerts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a failure message shows of alerts."""
    return [(a["key"][:16], a["status"], a["count"], a["summary"], a["service"], a["incident"]) for a in alerts]


@pytest.mark.django_db(transaction=True)
def test_alertmanager_webhook_and_pagerduty_receivers_into_opsdesk(process_logs: Path) -> None:
    alertmanager = Alertmanager(process_logs)  # first: fails at once when it is not installed
    client = f.make_client(code="acme", name="Acme")
    epr = f.make_service(client, code="epr", name="EPR")
    admin = f.make_user("admin", username="oncall")  # owns the incidents alerts open
    token = f.make_token(admin)
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database)
    am_key = opsdesk(env, "integration", "create", "acme", "alertmanager", "--rule", "service=epr->service:epr",
                     "--quiet").strip()
    pd_key = opsdesk(env, "integration", "create", "acme", "events_v2", "--rule", "component=epr->service:epr",
                     "--quiet").strip()
    ids = dict(database.query("SELECT kind, id FROM alerts_integration"))
    am_id, pd_id = ids["alertmanager"], ids["events_v2"]

    serve = Serve(env, process_logs / "opsdesk-serve.log")
    try:
        serve.start_server()
        alertmanager.start_server(CONFIG.format(intake_port=serve.intake_port, web_port=serve.port, am_key=am_key,
                                                pd_key=pd_key))
        api = Opsdesk(serve, token)
        disk = {"service": "epr", "instance": "db1.dc1:9100", "severity": "critical"}
        lag = {"service": "epr", "via": "pagerduty", "severity": "warning"}
        silent = {"service": "epr", "instance": "db2.dc1:9100"}
        alertmanager.post_alerts([
            am_alert("DiskAlmostFull", "Disk on db1 is 97% full", FIRING, **disk),
            am_alert("ReplicationLag", "Replica lags 5 minutes", FIRING, **lag),
            am_alert("ExporterSilent", "db2 exporter stopped reporting", None, **silent),  # resolve_timeout
        ])
        fingerprints = {a["labels"]["alertname"]: a["fingerprint"] for a in alertmanager.alerts()}
        disk_key = fingerprints["DiskAlmostFull"]

        # The webhook's alert (lean intake) is processed by the worker and opens an incident on EPR.
        [alert] = wait_for(lambda: api.alerts_with_key(am_id, disk_key),
                           lambda found: len(found) == 1 and found[0]["incident"] is not None,
                           "the DiskAlmostFull alert in opsdesk, in an incident")
        assert (alert["status"], alert["service"], alert["severity"]) == ("firing", epr.pk, "critical"), brief([alert])
        assert alert["labels"]["instance"] == "db1.dc1:9100"
        incident = api.get(f"/api/v1/incidents/{alert['incident']}")
        assert incident["services"] == [epr.pk] and incident["state"] == "triggered", incident
        assert incident["owner"] == admin.pk

        # The same alert posted again (changed annotation): Alertmanager re-notifies the group every
        # repeat_interval; opsdesk updates the one alert and counts.
        for percent in (98, 99):
            alertmanager.post_alerts([am_alert("DiskAlmostFull", f"Disk on db1 is {percent}% full", FIRING, **disk)])
        found = wait_for(lambda: api.alerts_with_key(am_id, disk_key),
                         lambda found: any(a["summary"] == "Disk on db1 is 99% full" for a in found),
                         "the repeated DiskAlmostFull alert's new summary in opsdesk")
        assert len(found) == 1, f"repeats made more than one alert: {brief(found)}"
        assert found[0]["count"] >= 2 and found[0]["status"] == "firing", brief(found)
        assert found[0]["id"] == alert["id"] and found[0]["incident"] == alert["incident"]

        # The pagerduty receiver (web port, Django views): an alert of the events_v2 integration,
        # placed on EPR by its component, in an incident.
        [paged] = wait_for(lambda: api.alerts(pd_id), lambda found: len(found) == 1 and found[0]["incident"],
                           "the ReplicationLag alert (pagerduty receiver) in opsdesk, in an incident")
        assert (paged["status"], paged["service"], paged["labels"].get("component")) == ("firing", epr.pk, "epr")
        assert "ReplicationLag" in paged["summary"], paged["summary"]
        assert epr.pk in api.get(f"/api/v1/incidents/{paged['incident']}")["services"]

        # Resolved in Prometheus' way (endsAt in the past): Alertmanager sends the resolve.
        alertmanager.post_alerts([
            am_alert("DiskAlmostFull", "Disk on db1 is 99% full", RESOLVED, **disk),
            am_alert("ReplicationLag", "Replica lags 5 minutes", RESOLVED, **lag),
        ])
        [resolved] = wait_for(lambda: api.alerts_with_key(am_id, disk_key),
                              lambda found: [a["status"] for a in found] == ["resolved"],
                              "DiskAlmostFull resolved in opsdesk (one alert)")
        assert resolved["id"] == alert["id"] and resolved["resolved_at"], brief([resolved])
        [paged_resolved] = wait_for(lambda: api.alerts(pd_id), lambda found: [a["status"] for a in found] == ["resolved"],
                                    "ReplicationLag resolved in opsdesk through the pagerduty receiver")
        assert paged_resolved["id"] == paged["id"]

        # Posted without endsAt: Alertmanager resolves it after resolve_timeout, and so does opsdesk.
        silent_key = fingerprints["ExporterSilent"]
        [silent_alert] = wait_for(lambda: api.alerts_with_key(am_id, silent_key),
                                  lambda found: [a["status"] for a in found] == ["resolved"],
                                  "ExporterSilent resolved in opsdesk after Alertmanager's resolve_timeout")
        assert silent_alert["service"] == epr.pk

        # What was delivered: triggers and resolves through both receivers, and the Events API
        # deliveries went through the web port (gunicorn's access log), the webhook's through the intake.
        actions: dict[tuple[int, str], list[str]] = {}
        for _, integration, signal in database.signals():
            actions.setdefault((integration, signal["key"]), []).append(signal["action"])
        assert set(actions) == {(am_id, disk_key), (am_id, silent_key), (pd_id, paged["key"])}, actions
        for key, seen in actions.items():
            assert seen[0] == "trigger" and seen[-1] == "resolve", (key, seen)
        assert actions[am_id, disk_key].count("trigger") >= 2, actions
        log = serve.text()
        assert '"POST /v2/enqueue HTTP/1.1" 202' in log
        assert "/api/v1/integrations/alertmanager/" not in log  # the webhook went to the lean intake
        assert "unexpected status code 4" not in alertmanager.text(), "opsdesk refused a delivery"
        incidents = {a["incident"] for a in api.alerts(am_id) + api.alerts(pd_id)}
        assert all(incidents) and all(api.get(f"/api/v1/incidents/{i}")["services"] == [epr.pk] for i in incidents)
    finally:
        alertmanager.stop()
        serve.stop()
