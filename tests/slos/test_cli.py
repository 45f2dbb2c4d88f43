"""`opsdesk slo`: list, show one's report, evaluate burn rates now, run due synthetic checks now."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from opsdesk.alerts.models import RawEvent
from opsdesk.core import clock
from opsdesk.slos import services as slo_services
from opsdesk.slos.models import SyntheticResult
from tests import factories as f
from tests.slos.factories import MIN, NOW, make_slo, minutes, write

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    with clock.frozen(NOW):
        call_command("slo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def epr():
    service = f.make_service(f.make_client(), name="EPR")
    slo, key = make_slo(service, name="EPR availability")
    return slo, key


def test_list_and_show(epr):
    slo, key = epr
    write(slo, minutes(NOW - 60 * MIN, 50, 1000) + minutes(NOW - 10 * MIN, 10, 0))
    listed = run("list")
    assert "EPR availability" in listed and slo.key_prefix in listed and key not in listed
    shown = run("show", str(slo.pk))
    assert "Attainment 83.333%" in shown and "page-fast" in shown and "FIRING" in shown
    with pytest.raises(CommandError, match="no SLO"):
        run("show", "999999")


def test_evaluate_sends_the_alerts(epr):
    slo, _ = epr
    write(slo, minutes(NOW - 10 * MIN, 10, 0))
    out = run("evaluate")
    assert "3 alert(s) triggered" in out and f"slo:{slo.pk}:page-fast" in out
    assert RawEvent.objects.count() == 1
    assert "0 alert(s) triggered" in run("evaluate")
    assert "page-fast, page-slow, ticket" in run("list")


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_check_runs_the_due_checks(epr, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the loopback receiver (SSRF guard)
    slo, _ = epr
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/ping"
        with clock.frozen(NOW - MIN):
            slo_services.create_check({"service": slo.service_id, "name": "EPR ping", "url": url,
                                       "availability_slo": slo.pk}, actor=None)
        out = run("check")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "EPR ping" in out and "204" in out
    assert SyntheticResult.objects.get().ok
