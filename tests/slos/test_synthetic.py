"""Synthetic checks against a real local HTTP server: 200, 500, a redirect, and an endpoint slower
than the timeout; results recorded, events counted into the linked SLOs' minute bucket."""

from __future__ import annotations

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsdesk.core import clock
from opsdesk.slos import services as slo_services
from opsdesk.slos import synthetic
from opsdesk.slos.models import SliBucket, SyntheticCheck, SyntheticResult
from tests import factories as f
from tests.slos.factories import NOW, make_slo

pytestmark = pytest.mark.django_db
SLOW_SECONDS = 2.0


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Handler.hits.append(self.path)
        if self.path.startswith("/slow"):
            time.sleep(SLOW_SECONDS)
        if self.path.startswith("/pause"):
            time.sleep(0.2)
        if self.path.startswith("/trickle"):
            self._trickle()
            return
        if self.path.startswith("/fail"):
            self._answer(500, b"boom")
        elif self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path.startswith("/big"):
            self._answer(200, b"x" * (1024 * 1024))
        else:
            self._answer(200, b"ok")

    def _trickle(self) -> None:
        """A header every 0.3 s: no single read waits for the timeout, the whole answer takes 6 s."""
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for i in range(20):
                self.wfile.write(f"X-Slow-{i}: 1\r\n".encode())
                self.wfile.flush()
                time.sleep(0.3)
            self.wfile.write(b"Content-Length: 0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The receiver is on loopback, which the SSRF guard refuses unless the allow-list permits it."""
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]


@pytest.fixture
def epr():
    service = f.make_service(name="EPR")
    avail, _ = make_slo(service, name="EPR availability")
    latency, _ = make_slo(service, kind="latency", name="EPR latency", latency_threshold_ms=500)
    return {"service": service, "avail": avail, "latency": latency}


def _check(epr, url: str, **kw) -> SyntheticCheck:
    with clock.frozen(NOW - dt.timedelta(seconds=1)):
        return slo_services.create_check({"service": epr["service"].pk, "name": url, "url": url,
                                          "availability_slo": epr["avail"].pk, "latency_slo": epr["latency"].pk,
                                          **kw}, actor=None)


def _bucket(slo) -> tuple[int, int]:
    b = SliBucket.objects.get(slo=slo, start_at=NOW.replace(second=0))
    return b.good, b.valid


def test_due_checks_run_concurrently_record_results_and_count_events(server, epr):
    ok = _check(epr, f"{server}/health")
    failing = _check(epr, f"{server}/fail")
    slow = _check(epr, f"{server}/slow", timeout_seconds=0.5)
    moved = _check(epr, f"{server}/moved")
    started = time.monotonic()
    results = synthetic.run_due_checks(now=NOW)
    took = time.monotonic() - started
    assert len(results) == 4
    # The slow endpoint's 2 s did not hold the others up, nor the run beyond its own 0.5 s timeout by much.
    assert took < SLOW_SECONDS
    by_check = {r.check_run_id: r for r in SyntheticResult.objects.all()}
    assert (by_check[ok.pk].status_code, by_check[ok.pk].ok, by_check[ok.pk].error) == (200, True, "")
    assert by_check[ok.pk].duration_ms < 500
    assert (by_check[failing.pk].status_code, by_check[failing.pk].ok) == (500, False)
    assert "HTTP 500" in by_check[failing.pk].error
    assert (by_check[slow.pk].status_code, by_check[slow.pk].ok) == (None, False)
    assert "timed out" in by_check[slow.pk].error and by_check[slow.pk].duration_ms < SLOW_SECONDS * 1000
    # Redirects are not followed: the 302 is the answer, passing (below 400); /elsewhere was never fetched.
    assert (by_check[moved.pk].status_code, by_check[moved.pk].ok) == (302, True)
    assert "/elsewhere" not in _Handler.hits
    # One event per run into this minute's bucket: availability good for 200 and 302; latency good
    # for those too (fast); the failure and the timeout are bad in both.
    assert _bucket(epr["avail"]) == (2, 4)
    assert _bucket(epr["latency"]) == (2, 4)
    # Each check moved to its next run; nothing is due again until then.
    ok.refresh_from_db()
    assert ok.next_run_at == NOW + dt.timedelta(seconds=60)
    assert synthetic.run_due_checks(now=NOW + dt.timedelta(seconds=30)) == []


def test_a_slow_answer_within_the_timeout_passes_availability_but_not_latency(server, epr):
    slo_services.update_slo(epr["latency"], {"latency_threshold_ms": 100}, actor=None)
    _check(epr, f"{server}/pause", timeout_seconds=5)
    [result] = synthetic.run_due_checks(now=NOW)
    assert result.ok and result.status_code == 200 and result.duration_ms >= 200
    assert _bucket(epr["avail"]) == (1, 1)
    assert _bucket(epr["latency"]) == (0, 1)  # over the 100 ms threshold


def test_only_the_first_part_of_a_large_body_is_read(server, epr):
    _check(epr, f"{server}/big", timeout_seconds=5)
    [result] = synthetic.run_due_checks(now=NOW)
    assert result.ok and result.status_code == 200


def test_runs_add_to_the_minute_bucket_and_inactive_checks_do_not_run(server, epr):
    check = _check(epr, f"{server}/health", interval_seconds=30)
    synthetic.run_due_checks(now=NOW)
    synthetic.run_due_checks(now=NOW + dt.timedelta(seconds=30))
    assert _bucket(epr["avail"]) == (2, 2)
    slo_services.update_check(check, {"active": False}, actor=None)
    assert synthetic.run_due_checks(now=NOW + dt.timedelta(hours=1)) == []
    assert SyntheticResult.objects.count() == 2


def test_an_unreachable_host_fails_with_the_reason(epr):
    _check(epr, "http://127.0.0.1:9/", timeout_seconds=1)
    [result] = synthetic.run_due_checks(now=NOW)
    assert not result.ok and result.status_code is None and result.error
    assert _bucket(epr["avail"]) == (0, 1)


def test_the_timeout_is_capped_at_ten_seconds():
    assert synthetic.MAX_TIMEOUT == 10.0
    started = time.monotonic()
    outcome = synthetic.fetch("http://127.0.0.1:9/", 1000)
    assert outcome.status is None and time.monotonic() - started < 11


def test_a_server_trickling_its_answer_is_cut_off_at_the_hard_cap(server, epr):
    _check(epr, f"{server}/trickle", timeout_seconds=0.5)
    started = time.monotonic()
    [result] = synthetic.run_due_checks(now=NOW)
    assert time.monotonic() - started < 0.5 + synthetic.GRACE_SECONDS + 0.5
    assert not result.ok and result.status_code is None and "timed out" in result.error
