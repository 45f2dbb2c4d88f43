"""A real Prometheus (the Debian package's server) scraping a real `opsdesk serve`: opsdesk's series are
there, summed over its processes, and say what the test did.

opsdesk runs with OPSDESK_METRICS_ALLOW empty, so the scrape needs its API token with the `metrics`
scope (Prometheus' `authorization.credentials_file`, as in deploy/prometheus/prometheus.yml); the
rules file (deploy/prometheus/opsdesk-rules.yml) is loaded and must evaluate against the real series.
The request is answered by a gunicorn worker, the alert by the lean intake process, its processing
and the incident's notification by the worker: one /metrics answer holds all of them.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from tests.alerts import factories as af

from .peers import Database, PrometheusTool, Serve, opsdesk_env, request, system_binary, wait_for

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "opsdesk-rules.yml"
CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
scrape_configs:
  - job_name: opsdesk
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


class Prometheus(PrometheusTool):
    """A Prometheus server on a free loopback port, its storage in the test's tmp_path."""

    name, config_name = "Prometheus", "prometheus.yml"

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path, system_binary(("prometheus",), "prometheus"))

    def arguments(self, port: int) -> list[str]:
        return [f"--config.file={self.dir / self.config_name}", f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--log.level=info"]

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>: its `data`."""
        status, body = request(self.port, "GET", f"/api/v1/{path}?{urllib.parse.urlencode(params)}")
        assert status == 200 and body["status"] == "success", body
        return body["data"]

    def values(self, query: str) -> list[tuple[dict[str, str], float]]:
        """An instant query's series: (labels, value)."""
        return [
            (r["metric"], float(r["value"][1])) for r in self.api("query", query=query)["result"]
        ]


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_opsdesk_with_a_metrics_token(process_logs: Path) -> None:
    prometheus = Prometheus(process_logs)  # first: fails at once when it is not installed
    client = f.make_client(code="acme", name="Acme")
    admin = f.make_user("admin", username="oncall")  # owns the incident the alert opens: notified
    api_token = f.make_token(admin)
    scraper = f.make_user("service_desk", username="prometheus")
    token_file = process_logs / "opsdesk-token"
    token_file.write_text(f.make_token(scraper, ["metrics"]) + "\n")
    _, key = af.make_integration("events_v2", client=client)
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database) | {"OPSDESK_METRICS_ALLOW": ""}  # the token, always

    serve = Serve(env, process_logs / "opsdesk-serve.log")
    try:
        serve.start_server()
        assert (
            request(serve.port, "GET", "/metrics")[0] == 401
        )  # loopback, but not allowed without a token
        status, _ = request(
            serve.port, "GET", "/api/v1/sites", headers={"Authorization": f"Bearer {api_token}"}
        )
        assert status == 200
        status, body = request(serve.intake_port, "POST", "/v2/enqueue", af.event(key))
        assert status == 202, body
        prometheus.start_server(CONFIG.format(rules=RULES, token_file=token_file, port=serve.port))

        def sample(query: str) -> float | None:
            found = prometheus.values(query)
            return found[0][1] if found else None

        wait_for(
            lambda: sample('up{job="opsdesk"}'), lambda v: v == 1, "a successful scrape of opsdesk"
        )
        # The web request, counted by the gunicorn worker that answered it.
        sites = 'opsdesk_http_request_duration_seconds_count{route="api/v1/sites",method="GET",code="200"}'
        assert (
            wait_for(lambda: sample(sites), lambda v: v is not None, "the request's latency series")
            == 1
        )
        # The alert: accepted by the lean intake, processed by the worker, which notified the incident's owner.
        accepted = 'opsdesk_alert_intake_requests_total{kind="events_v2",code="202"}'
        assert (
            wait_for(lambda: sample(accepted), lambda v: v is not None, "the accepted delivery")
            == 1
        )
        wait_for(
            lambda: sample("opsdesk_alert_deliveries_processed_total"),
            lambda v: v == 1,
            "the processed delivery",
        )
        wait_for(
            lambda: sample(
                'opsdesk_notification_deliveries_total{channel="inbox",outcome="delivered"}'
            ),
            lambda v: v is not None and v >= 1,
            "the incident owner's notification",
        )
        # What the database knows, read at scrape time; the SLA watch ran once when the worker started.
        wait_for(
            lambda: sample("opsdesk_alert_deliveries_pending"),
            lambda v: v == 0,
            "no delivery left to process",
        )
        assert sample('opsdesk_task_queue_depth{queue="default"}') is not None
        assert sample("opsdesk_alert_processing_lag_seconds") is not None
        wait_for(
            lambda: sample("opsdesk_sla_watch_duration_seconds_count"),
            lambda v: v is not None and v >= 1,
            "a timed SLA watch run",
        )

        # Every series the rules use exists, and every rule evaluates without error.
        names = set(prometheus.api("label/__name__/values"))
        used = set(re.findall(r"\b(opsdesk_[a-z_]+)", RULES.read_text()))
        assert used - names == set(), (
            f"the rules use series opsdesk does not expose: {sorted(used - names)}"
        )
        rules = wait_for(
            lambda: [r for g in prometheus.api("rules")["groups"] for r in g["rules"]],
            lambda found: (
                len(found) == 11
                and all(
                    r.get("lastEvaluation", "").startswith("20") and r["health"] == "ok"
                    for r in found
                )
            ),
            "every rule evaluated without error",
        )
        firing = [r["name"] for r in rules if r["state"] == "firing"]
        assert firing == [], f"rules firing on a healthy opsdesk: {firing}"
    finally:
        prometheus.stop()
        serve.stop()
