"""No secrets in logs, and the integration key in a header: a real `opsdesk serve` (gunicorn, worker,
lean intake) logging at INFO, a real Alertmanager whose webhooks carry the key in
``http_config.authorization`` (to the lean intake and to the web port), and requests with keys in
paths and calendar tokens in query strings. The captured output of every process must hold none of
them, and say [redacted] where they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories as f

from .peers import Alertmanager, Database, Serve, opsdesk, opsdesk_env, request, wait_for
from .test_alertmanager import FIRING, am_alert

CONFIG = """\
route:
  receiver: intake
  group_wait: 200ms
  group_interval: 1s
  routes:
    - receiver: web
      matchers: ['via="web"']
receivers:
  - name: intake
    webhook_configs:
      - url: "http://127.0.0.1:{intake_port}/api/v1/integrations/alertmanager"
        http_config:
          authorization:
            type: Bearer
            credentials: "{key}"
  - name: web
    webhook_configs:
      - url: "http://127.0.0.1:{web_port}/api/v1/integrations/alertmanager"
        http_config:
          authorization:
            type: Bearer
            credentials: "{key}"
"""


def generic(key: str) -> dict[str, object]:
    return {"action": "trigger", "key": key, "summary": f"{key} failed", "severity": "error"}


@pytest.mark.django_db(transaction=True)
def test_keys_in_headers_end_to_end_and_no_secret_in_any_log_line(process_logs: Path) -> None:
    alertmanager = Alertmanager(process_logs)
    client = f.make_client(code="acme", name="Acme")
    site = f.make_site(clients=[client])
    calendar_token = f.make_token(f.make_user("admin"), scopes=["calendar"])
    database = Database(process_logs)
    env = opsdesk_env(process_logs, database) | {"OPSDESK_LOG_LEVEL": "INFO"}
    am_key = opsdesk(env, "integration", "create", "acme", "alertmanager", "--quiet").strip()
    gen_key = opsdesk(env, "integration", "create", "acme", "generic", "--quiet").strip()
    wrong_key = "odi_" + "x" * 40
    ids = dict(database.query("SELECT kind, id FROM alerts_integration"))

    serve = Serve(env, process_logs / "opsdesk-serve.log")
    try:
        serve.start_server()
        alertmanager.start_server(CONFIG.format(intake_port=serve.intake_port, web_port=serve.port, key=am_key))
        alertmanager.post_alerts([am_alert("ToIntake", "through the intake", FIRING, service="epr"),
                                  am_alert("ToWeb", "through the web port", FIRING, via="web")])

        bearer = {"Authorization": f"Bearer {gen_key}"}
        custom = {"X-Opsdesk-Key": gen_key}
        for port in (serve.port, serve.intake_port):
            for n, headers in enumerate((bearer, custom)):
                status, body = request(port, "POST", "/api/v1/integrations/generic", generic(f"h{port}-{n}"), headers)
                assert status == 202, (port, headers, body)
            status, body = request(port, "POST", "/api/v1/integrations/generic", generic("nokey"))
            assert status == 401 and "Authorization: Bearer" in body["detail"], body
            status, body = request(port, "POST", "/api/v1/integrations/generic", generic("bad"),
                                   {"Authorization": f"Bearer {wrong_key}"})
            assert status == 404, body
            # The path form keeps working (senders configured before), and its key is not logged.
            status, _ = request(port, "POST", f"/api/v1/integrations/generic/{gen_key}", generic(f"p{port}"))
            assert status == 202
            status, _ = request(port, "POST", f"/api/v1/integrations/generic/{wrong_key}", generic("bad"))
            assert status == 404
        # A calendar feed with its token in the query string; a wrong token (a warning is logged);
        # an SLI key in a path.
        status, _ = request(serve.port, "GET", f"/api/v1/calendars/changes.ics?site={site.pk}&token={calendar_token}")
        assert status == 200
        status, _ = request(serve.port, "GET", f"/api/v1/calendars/changes.ics?site={site.pk}&token={wrong_key}")
        assert status in (401, 403)
        status, _ = request(serve.port, "POST", f"/api/v1/slis/{wrong_key}/measurements", {"buckets": []})
        assert status in (401, 404, 422)

        # Alertmanager's deliveries, key in the Authorization header, through both ports.
        def names() -> set[str]:
            return {s["labels"].get("alertname") for _, integration, s in database.signals() if integration == ids["alertmanager"]}

        wait_for(names, lambda seen: {"ToIntake", "ToWeb"} <= seen, "both Alertmanager webhooks stored")
        stored = {s["key"] for _, integration, s in database.signals() if integration == ids["generic"]}
        assert stored == {f"h{p}-{n}" for p in (serve.port, serve.intake_port) for n in (0, 1)} | {
            f"p{serve.port}", f"p{serve.intake_port}"}
        assert "unexpected status code" not in alertmanager.text(), alertmanager.text()[-2000:]
    finally:
        alertmanager.stop()
        serve.stop()

    log = serve.text()
    for secret in (am_key, gen_key, wrong_key, calendar_token):
        assert secret not in log, [line for line in log.splitlines() if secret in line][:5]
    assert "/api/v1/integrations/generic/[redacted]" in log  # gunicorn's access log, redacted
    assert "token=[redacted]" in log
    assert "/api/v1/slis/[redacted]/measurements" in log
    assert "Not Found: /api/v1/integrations/generic/[redacted]" in log  # django.request's warning, redacted
