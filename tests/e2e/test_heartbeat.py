"""A heartbeat end to end: a real sender pings a live `opsdesk serve` over loopback (urllib, as
curl in a cron job would); when the pings stop, the worker that `serve` runs raises the alert,
which opens an incident on the heartbeat's service; the next ping resolves it.

Time is not waited for: once pinged, the heartbeat's last ping is moved two hours back in the
database (as if the sender had gone quiet), and the worker's periodic check (every 15 s) finds it.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import factories as f

from .peers import Database, Serve, opsdesk, opsdesk_env, request, wait_for


def ping(port: int, slug: str, headers: dict[str, str], method: str = "GET", body: bytes | None = None) -> tuple[int, Any]:
    """A sender's ping over loopback, without a proxy; (status, parsed answer)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/heartbeats/{slug}/ping", data=body, method=method,
                                 headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.mark.django_db(transaction=True)
def test_a_silent_sender_raises_an_alert_and_an_incident_and_its_next_ping_resolves_them(process_logs: Path) -> None:
    client = f.make_client(code="acme", name="Acme")
    f.make_service(client, code="backups", name="Backups")
    token = f.make_token(f.make_user("admin", username="oncall"))
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database)
    key = opsdesk(env, "integration", "create", "acme", "generic", "--quiet").strip()
    [(integration_id, service_id)] = database.query(
        "SELECT i.id, s.id FROM alerts_integration i, services_service s WHERE s.code = 'backups'")
    opsdesk(env, "heartbeat", "add", str(integration_id), "nightly-backup", "--every", "60", "--grace", "5",
            "--service", "backups")
    serve = Serve(env, process_logs / "opsdesk-serve.log")
    auth = {"Authorization": f"Bearer {token}"}

    def heartbeat() -> dict[str, Any]:
        status, body = request(serve.port, "GET", f"/api/v1/heartbeats?integration={integration_id}", headers=auth)
        assert status == 200, body
        return dict(body["items"][0])

    def alerts() -> list[dict[str, Any]]:
        return list(request(serve.port, "GET", f"/api/v1/alerts?integration={integration_id}", headers=auth)[1]["items"])

    try:
        serve.start_server()
        assert ping(serve.port, "nightly-backup", {"Authorization": "Bearer odi_not-the-key"})[0] == 404
        assert ping(serve.port, "nightly-backup", {})[0] == 401
        assert heartbeat()["pings"] == 0
        status, answer = ping(serve.port, "nightly-backup", {"Authorization": f"Bearer {key}"})
        assert (status, answer["state"]) == (200, "up"), answer
        status, answer = ping(serve.port, "nightly-backup", {"X-Opsdesk-Key": key}, "POST", b"backup done: 42 GB")
        assert (status, answer["state"]) == (200, "up"), answer
        assert (heartbeat()["state"], heartbeat()["pings"]) == ("up", 2)

        quiet_since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        adapt = connection.ops.adapt_datetimefield_value
        database.query("UPDATE alerts_heartbeat SET last_ping_at = %s, due_at = %s, down_at = %s",
                       (adapt(quiet_since), adapt(quiet_since + dt.timedelta(minutes=60)),
                        adapt(quiet_since + dt.timedelta(minutes=65))))
        wait_for(heartbeat, lambda h: h["state"] == "down", "the worker marks the silent heartbeat down", timeout=60)
        [alert] = wait_for(alerts, lambda a: len(a) == 1 and a[0]["incident"] is not None,
                           "the missed heartbeat's alert opens an incident", timeout=30)
        assert (alert["status"], alert["service"]) == ("firing", service_id)
        assert "Heartbeat nightly-backup missed" in alert["summary"]
        status, incident = request(serve.port, "GET", f"/api/v1/incidents/{alert['incident']}", headers=auth)
        assert status == 200 and service_id in [s["id"] if isinstance(s, dict) else s for s in incident["services"]]

        status, answer = ping(serve.port, "nightly-backup", {"Authorization": f"Bearer {key}"}, "POST")
        assert (status, answer["state"]) == (200, "up"), answer
        wait_for(alerts, lambda a: [x["status"] for x in a] == ["resolved"], "the next ping resolves the alert",
                 timeout=30)
    finally:
        serve.stop()
