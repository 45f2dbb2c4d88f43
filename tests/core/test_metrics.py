"""GET /metrics: who may scrape it, and that its series reflect what happened (in this process and in
the database). The cross-process half (gunicorn, intake, worker summed; a real Prometheus scraping)
is tests/e2e/test_prometheus.py."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from prometheus_client.parser import text_string_to_metric_families

from opsdesk.core import clock
from opsdesk.core.metrics import registry as metrics
from opsdesk.core.notify import notify
from opsdesk.core.tasks import send_notification_email
from opsdesk.slas.notices import watch
from tests import factories as f
from tests.alerts import factories as af
from tests.alerts import pipeline
from tests.conftest import Api

pytestmark = pytest.mark.django_db
EMAIL_TASK = "opsdesk.core.tasks.send_notification_email"


def scrape(**extra: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """GET /metrics as Prometheus would (from loopback unless `extra` says otherwise): every sample."""
    r = HttpClient().get("/metrics", **extra)
    assert r.status_code == 200, r.content[:300]
    assert r["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.content.decode())
        for s in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    """A sample's value (0 when the series is not there yet: a counter not counted yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def token_only(settings: Any) -> None:
    """No address may scrape without a token."""
    settings.METRICS_ALLOW = []


# --- protection -------------------------------------------------------------------------------------


def test_loopback_scrapes_without_credentials_by_default():
    samples = scrape()
    assert value(samples, "opsdesk_task_queue_depth", queue="default") == 0


def test_from_elsewhere_a_token_with_the_metrics_scope_is_needed(token_only):
    admin = f.make_user("admin")
    r = HttpClient().get("/metrics")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    assert r["WWW-Authenticate"] == "Bearer" and "OPSDESK_METRICS_ALLOW" in r.json()["detail"]
    r = Api(f.make_token(admin))._call("get", "/metrics")  # read and write, not metrics
    assert r.status_code == 403 and "'metrics' scope" in r.json()["detail"]
    r = Api("odt_not-a-token")._call("get", "/metrics")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    r = Api(f.make_token(admin, ["metrics"]))._call("get", "/metrics")
    assert r.status_code == 200 and b"opsdesk_task_queue_depth" in r.content


def test_the_cli_makes_a_token_that_may_only_scrape(token_only):
    import io

    f.make_user("service_desk", username="prometheus")
    out = io.StringIO()
    call_command("token", "create", "prometheus", "--scope", "metrics", stdout=out)
    token = out.getvalue().strip()
    assert Api(token)._call("get", "/metrics").status_code == 200
    assert Api(token).get("/api/v1/sites").status_code == 401


def test_a_client_users_metrics_token_is_refused(token_only):
    client_user = f.make_user("client", client=f.make_client())
    r = Api(f.make_token(client_user, ["metrics"]))._call("get", "/metrics")
    assert r.status_code == 403 and "client users" in r.json()["detail"]


def test_a_metrics_token_reads_nothing_else():
    token = f.make_token(f.make_user("admin"), ["metrics"])
    assert Api(token).get("/api/v1/sites").status_code == 401


def test_allowed_networks_decide_by_the_client_address(settings):
    settings.METRICS_ALLOW = [ipaddress.ip_network("10.20.0.0/16")]
    assert HttpClient().get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert HttpClient().get("/metrics", REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200
    assert HttpClient().get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == 401
    assert HttpClient().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    # Behind one trusted proxy the address is the one it saw; a forged header further left is ignored.
    settings.OPSDESK_TRUSTED_PROXIES = 1
    forged = {"REMOTE_ADDR": "192.0.2.9", "HTTP_X_FORWARDED_FOR": "10.20.0.1, 198.51.100.7"}
    assert HttpClient().get("/metrics", **forged).status_code == 401
    proxied = {"REMOTE_ADDR": "192.0.2.9", "HTTP_X_FORWARDED_FOR": "198.51.100.7, 10.20.0.1"}
    assert HttpClient().get("/metrics", **proxied).status_code == 200


def test_only_get_reads_metrics():
    r = HttpClient().post("/metrics", data="{}", content_type="application/json")
    assert (
        r.status_code == 405
        and r["Allow"] == "GET, HEAD"
        and r["Content-Type"] == "application/problem+json"
    )


def test_an_invalid_allow_list_stops_opsdesk_at_start(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= {
        "OPSDESK_VAR_DIR": str(tmp_path),
        "OPSDESK_METRICS_ALLOW": "10.0.0.0/33",
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "OPSDESK_METRICS_ALLOW" in done.stderr


# --- what the series say ----------------------------------------------------------------------------


def test_request_latency_is_labelled_with_the_route_pattern_not_the_path():
    site_a, site_b = f.make_site(), f.make_site()
    api = Api(f.make_token(f.make_user("admin")))
    route = "api/v1/sites/<int:obj_id>"
    before = scrape()
    for site in (site_a, site_b):
        assert api.get(f"/api/v1/sites/{site.pk}").status_code == 200
    assert api.get("/no/such/page/123").status_code == 404
    HttpClient().generic("BREW", "/api/v1/sites")
    after = scrape()
    count = "opsdesk_http_request_duration_seconds_count"
    assert (
        value(after, count, method="GET", route=route, code="200")
        - value(before, count, method="GET", route=route, code="200")
        == 2
    )
    assert value(after, count, method="GET", route="(unmatched)", code="404") > value(
        before, count, method="GET", route="(unmatched)", code="404"
    )
    assert value(after, count, method="OTHER", route="api/v1/sites", code="405") >= 1
    routes = {dict(labels).get("route", "") for name, labels in after if name == count}
    # Patterns only (other tests of the session may have hit other site routes): never an id.
    site_routes = {r for r in routes if r.startswith("api/v1/sites/")}
    assert route in site_routes and all("<" in r for r in site_routes), routes
    assert not any(str(site.pk) in r.split("/") for site in (site_a, site_b) for r in routes), routes
    assert not any("no/such" in r for r in routes), routes


def test_task_queue_depth_and_age_come_from_the_database():
    user = f.make_user("engineer", email="e@example.com")
    note = notify([user], "Check the UPS")[0]
    send_notification_email.enqueue(note.pk)
    later = clock.now() + dt.timedelta(minutes=3)
    with clock.frozen(later):
        samples = scrape()
    assert value(samples, "opsdesk_task_queue_depth", queue="default") == 1
    assert 170 <= value(samples, "opsdesk_task_queue_oldest_age_seconds", queue="default") <= 200
    assert value(samples, "opsdesk_notification_emails_pending") == 1


def test_processing_lag_and_rate(settings):
    integration = pipeline.make_integration(f.make_client())
    accepted = clock.now()
    pipeline.deliver(integration, pipeline.signal("disk-full"), at=accepted)
    pipeline.deliver(
        integration, pipeline.signal("disk-full"), at=accepted + dt.timedelta(seconds=5)
    )
    with clock.frozen(accepted + dt.timedelta(seconds=90)):
        waiting = scrape()
    assert value(waiting, "opsdesk_alert_deliveries_pending") == 2
    assert value(waiting, "opsdesk_alert_processing_lag_seconds") == pytest.approx(90, abs=1)
    from opsdesk.alerts.tasks import process_pending

    process_pending.call()
    done = scrape()
    assert value(done, "opsdesk_alert_deliveries_pending") == 0
    assert value(done, "opsdesk_alert_processing_lag_seconds") == 0
    processed = "opsdesk_alert_deliveries_processed_total"
    assert value(done, processed) - value(waiting, processed) == 2


def test_intake_answers_are_counted_by_kind_and_status():
    _, key = af.make_integration("events_v2")
    total = "opsdesk_alert_intake_requests_total"
    before = scrape()
    assert Api(None).post("/v2/enqueue", af.event(key)).status_code == 202
    assert Api(None).post("/v2/enqueue", af.event("no-such-key")).status_code == 400
    assert Api(None).post("/api/v1/integrations/alertmanager", af.alertmanager()).status_code == 401
    after = scrape()
    for kind, code in (("events_v2", "202"), ("events_v2", "400"), ("alertmanager", "401")):
        assert (
            value(after, total, kind=kind, code=code) - value(before, total, kind=kind, code=code)
            == 1
        )


def test_notification_deliveries_and_failures(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = f.make_user("engineer", email="e@example.com")
    total = "opsdesk_notification_deliveries_total"
    before = scrape()
    sent, failing = notify([user], "Sent"), notify([user], "Not sent")
    send_notification_email.call(sent[0].pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    with pytest.raises(OSError):
        send_notification_email.call(failing[0].pk)
    after = scrape()
    assert (
        value(after, total, channel="inbox", outcome="delivered")
        - value(before, total, channel="inbox", outcome="delivered")
        == 2
    )
    assert (
        value(after, total, channel="email", outcome="delivered")
        - value(before, total, channel="email", outcome="delivered")
        == 1
    )
    assert (
        value(after, total, channel="email", outcome="failed")
        - value(before, total, channel="email", outcome="failed")
        == 1
    )


def _closed_port() -> int:
    from tests.core.test_serve import free_port

    return free_port()  # bound and released: nothing listens there


@pytest.mark.django_db(transaction=True)  # the worker closes old connections, as in production
def test_worker_counts_finished_tasks_and_the_sla_watch_is_timed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    note = notify([f.make_user("engineer", email="e@example.com")], "Queued")[0]
    send_notification_email.enqueue(note.pk)
    before = scrape()
    call_command("worker", "--batch", verbosity=0)
    watch()
    after = scrape()
    finished = "opsdesk_tasks_finished_total"
    assert (
        value(after, finished, task=EMAIL_TASK, status="SUCCESSFUL")
        - value(before, finished, task=EMAIL_TASK, status="SUCCESSFUL")
        == 1
    )
    runs = "opsdesk_sla_watch_duration_seconds_count"
    assert value(after, runs) - value(before, runs) >= 1


def test_serve_clears_the_files_of_stopped_processes_only(tmp_path: Path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (tmp_path / f"counter_{dead}.db").write_bytes(b"")
    (tmp_path / f"histogram_{dead}.db").write_bytes(b"")
    (tmp_path / f"counter_{os.getpid()}.db").write_bytes(b"")
    assert metrics.clear_stopped_processes(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == [f"counter_{os.getpid()}.db"]


def test_name_restricts_the_answer_to_those_series_and_bad_names_are_422():
    r = HttpClient().get(
        "/metrics", {"name": ["opsdesk_task_queue_depth", "opsdesk_alert_deliveries_pending"]}
    )
    assert r.status_code == 200
    names = {
        s.name
        for family in text_string_to_metric_families(r.content.decode())
        for s in family.samples
    }
    assert names == {"opsdesk_task_queue_depth", "opsdesk_alert_deliveries_pending"}
    r = HttpClient().get("/metrics", {"name": "not a name"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    assert HttpClient().get("/metrics", {"name": [f"n{i}" for i in range(51)]}).status_code == 422
