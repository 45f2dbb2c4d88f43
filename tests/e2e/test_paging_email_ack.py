"""Acknowledge from the email link, end to end: `opsdesk serve` (web and worker) pages the on-call
person of a SEV1 by email through a real SMTP server; the link in the email, opened without a
login, shows one button (the GET changes nothing); its POST acknowledges the incident, the
escalation stops before step 2, and the timeline says who stopped it."""

from __future__ import annotations

import http.client
import re
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from opsdesk.paging.models import EscalationPolicy, EscalationStep
from tests import factories as f
from tests.paging.conftest import Inbox, free_port

from .peers import Database, Serve, opsdesk_env, request, wait_for


def _http(port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
          ) -> tuple[int, str, list[str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_acknowledge_from_the_email_link_stops_the_escalation(process_logs: Path) -> None:
    alice = f.make_user("engineer", username="alice", email="alice@northgate.test")
    bob = f.make_user("engineer", username="bob")
    policy = EscalationPolicy.objects.create(name="Northgate EPR", is_default=True)
    EscalationStep.objects.create(policy=policy, position=0, target_kind="person", person=alice, wait_minutes=0.25)
    EscalationStep.objects.create(policy=policy, position=1, target_kind="person", person=bob, wait_minutes=5)
    token = f.make_token(f.make_user("admin", username="desk-admin"))
    database = Database(process_logs)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = opsdesk_env(process_logs, database) | {
        "OPSDESK_SMTP_HOST": "127.0.0.1", "OPSDESK_SMTP_PORT": str(smtp.port), "OPSDESK_EMAIL_ENABLED": "1"}
    serve = Serve(env, process_logs / "opsdesk-serve.log")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        serve.start_server()
        status, incident = request(serve.port, "POST", "/api/v1/incidents", {"title": "EPR down", "severity": "sev1"},
                                   headers=auth)
        assert status == 201, incident
        mails = wait_for(lambda: [m for rcpts, m in inbox.messages if "alice@northgate.test" in rcpts],
                         lambda found: bool(found), "alice's page", timeout=60)
        mail = mails[0]
        assert mail["Subject"] == f"[INC-{incident['id']}] SEV1 EPR down"
        body = mail.get_payload(decode=True).decode()
        link = re.search(r"Acknowledge: https?://[^/]+(/paging/a/[^\s]+/)", body)
        assert link, body
        path = link.group(1)
        status, page, cookies = _http(serve.port, "GET", path)  # no login
        assert status == 200 and "acknowledge" in page, page[:500]
        assert request(serve.port, "GET", f"/api/v1/incidents/{incident['id']}", headers=auth)[1]["state"] == "triggered"
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, page[:2000]
        jar = SimpleCookie()
        for c in cookies:
            jar.load(c)
        cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
        status, done, _ = _http(serve.port, "POST", path, body=f"csrfmiddlewaretoken={csrf.group(1)}",
                                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and "acknowledged the incident" in done, done[:2000]
        status, escalation = request(serve.port, "GET", f"/api/v1/incidents/{incident['id']}/escalation", headers=auth)
        assert (status, escalation["state"]) == (200, "acknowledged"), escalation
        time.sleep(18)  # past step 1's wait: step 2 must not run
        status, escalation = request(serve.port, "GET", f"/api/v1/incidents/{incident['id']}/escalation", headers=auth)
        assert [s["state"] for s in escalation["steps"]] == ["done", "waiting"], escalation
        assert not [m for rcpts, m in inbox.messages if bob.email in rcpts]
        status, entries = request(serve.port, "GET", f"/api/v1/incidents/{incident['id']}/timeline", headers=auth)
        summaries = [e["summary"] for e in entries["items"]] if isinstance(entries, dict) else [e["summary"] for e in entries]
        assert "Escalation stopped: acknowledged by alice at step 1" in summaries, summaries
        again = _http(serve.port, "POST", path, body=f"csrfmiddlewaretoken={csrf.group(1)}",
                      headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        assert again[0] == 409 and "already used" in again[1]
    finally:
        serve.stop()
        smtp.stop()
