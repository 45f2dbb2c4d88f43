"""The SSRF guard (core.outbound): every refused form of address, the allow-list, DNS rebinding,
connections pinned to the vetted address (HTTP and HTTPS with the certificate checked against the
URL's name), and synthetic checks refusing at configuration (422) and at run time.

Only loopback addresses are ever connected to; the receivers are reached through the allow-list.
No DNS server runs here: the system resolver answers numeric forms and /etc/hosts (`localhost`).
The resolver seam (`outbound._getaddrinfo`) is replaced only where a name must answer differently
over time (the rebinding and pinning tests), which no real resolver here can be made to do.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opsdesk.core import clock, outbound
from opsdesk.slos import services as slo_services
from opsdesk.slos import synthetic
from opsdesk.slos.models import SyntheticCheck, SyntheticResult
from tests import factories as f
from tests.slos.factories import NOW

# (URL, the reason's words) — every form must be refused by default.
REFUSED = [
    # ten spellings of this machine
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),
    ("http://127.0.0.1.:8080/", "loopback"),
    ("http://localhost/", "local name"),
    ("http://localhost./", "local name"),
    ("http://LocalHost.localdomain/", "local name"),
    ("http://status.localhost/", "local name"),
    ("http://[::1]/", "loopback"),
    ("http://0/", "unspecified"),
    ("http://0.0.0.0:80/", "unspecified"),
    ("http://[::]/", "unspecified"),
    # IPv6 forms carrying an IPv4 address
    ("http://[::ffff:127.0.0.1]/", "loopback address (embedded"),
    ("http://[::ffff:7f00:1]/", "loopback address (embedded"),
    ("http://[::127.0.0.1]/", "loopback address (embedded"),
    ("http://[::ffff:10.0.0.1]/", "private address (embedded"),
    ("http://[2002:7f00:1::]/", "loopback address (embedded"),  # 6to4
    ("http://[64:ff9b::a9fe:a9fe]/", "link-local address (embedded"),  # NAT64 of 169.254.169.254
    # private, link-local, unique-local, CGNAT, multicast, broadcast, reserved
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.254/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://100.127.255.254/", "carrier-grade NAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://239.255.255.250/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.10/", "private"),  # documentation (TEST-NET-1)
    ("http://198.18.0.1/", "benchmarking"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_every_internal_form_is_refused_with_the_reason(url, reason, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = []
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.vet_url(url)
    assert refused.value.status == 422
    assert reason in refused.value.detail, refused.value.detail


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/", "file:///etc/passwd", "gopher://8.8.8.8/", "http:///x",
                                 "http://user:pw@8.8.8.8/", "http://8.8.8.8:0/", "http://a b/", "javascript:alert(1)"])
def test_what_is_not_an_http_url_is_refused(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.vet_url(url)


@pytest.mark.parametrize(("url", "address"), [("http://8.8.8.8/", "8.8.8.8"), ("https://1.1.1.1:8443/q?a=1", "1.1.1.1"),
                                              ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
                                              ("http://134744072/", "8.8.8.8")])  # a numeric public address
def test_public_addresses_are_vetted_without_connecting(url, address):
    target = outbound.vet_url(url)
    assert [sockaddr[0] for _family, sockaddr in target.addresses] == [address]
    assert target.allowed_by == ""


def test_any_refused_address_among_several_refuses_the_name(monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 80)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 80))]
    monkeypatch.setattr(outbound, "_getaddrinfo", lambda host, port: answers)
    with pytest.raises(outbound.OutboundRefused, match=r"mixed\.test resolves to 10\.0\.0\.5: a private address"):
        outbound.vet_url("http://mixed.test/")


def test_the_allow_list_permits_by_cidr_and_by_host_name(settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.0/8", "10.20.0.0/16"]
    assert outbound.vet_url("http://127.1:8080/").allowed_by == "127.0.0.0/8"
    assert outbound.vet_url("http://2130706433/").allowed_by == "127.0.0.0/8"
    assert outbound.vet_url("http://10.20.3.4/").allowed_by == "10.20.0.0/16"
    with pytest.raises(outbound.OutboundRefused, match="private"):
        outbound.vet_url("http://10.21.0.1/")
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.vet_url("http://[::1]/")  # 127/8 says nothing of IPv6
    with pytest.raises(outbound.OutboundRefused, match="local name"):
        outbound.vet_url("http://localhost/")  # a local name is refused by name; permit the name itself
    settings.OPSDESK_OUTBOUND_ALLOW = ["localhost", "*.corp.example", "::1/128"]
    assert outbound.vet_url("http://localhost:8000/").allowed_by == "localhost"
    assert outbound.vet_url("http://LOCALHOST./").allowed_by == "localhost"
    assert outbound.vet_url("http://[::1]/").allowed_by == "::1/128"
    with pytest.raises(outbound.OutboundRefused):
        outbound.vet_url("http://127.0.0.1/")  # the name is permitted, not the address


def test_a_name_that_does_not_resolve_is_refused_to_connect_but_may_be_configured():
    with pytest.raises(outbound.Unresolvable, match="does not resolve"):
        outbound.vet_url("http://no-such-host.invalid/")
    assert outbound.check_configured_url("http://no-such-host.invalid/") == "http://no-such-host.invalid/"
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_configured_url("http://127.1/")


# --- real receivers ------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        _Receiver.hits.append((self.path, self.headers.get("Host", "")))
        if self.path.startswith("/moved"):
            self.send_response(301)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def _serve(httpd: ThreadingHTTPServer) -> Iterator[int]:
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[int]:
    _Receiver.hits = []
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Receiver))


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    """A test CA and two server certificates it signed: for `localhost`, and for `other.test`."""
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=opsdesk test CA", cwd=d)
    for name in ("localhost", "other.test"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{name}\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return d


def _tls_receiver(certificates: Path, name: str) -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / f"{name}.pem", certificates / f"{name}.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    yield from _serve(httpd)


def _get(target: outbound.VettedTarget, context: ssl.SSLContext | None = None) -> int:
    conn = outbound.connection(target, 5, context=context)
    try:
        conn.request("GET", target.target)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_a_loopback_receiver_is_reached_through_the_allow_list(receiver, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    assert _get(outbound.vet_url(f"http://127.0.0.1:{receiver}/ping?x=1")) == 200
    assert _Receiver.hits == [("/ping?x=1", f"127.0.0.1:{receiver}")]


def test_the_connection_goes_to_the_vetted_address_without_resolving_again(receiver, settings, monkeypatch):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    calls = []

    def resolve_once(host, port):
        calls.append(host)
        if len(calls) > 1:
            raise AssertionError("resolved a second time")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(outbound, "_getaddrinfo", resolve_once)
    target = outbound.vet_url(f"http://receiver.test:{receiver}/health")
    # Were http.client to resolve receiver.test itself it would fail: no DNS knows that name.
    assert _get(target) == 200
    assert calls == ["receiver.test"]
    assert _Receiver.hits == [("/health", f"receiver.test:{receiver}")]  # the Host header is the URL's


def test_https_verifies_the_certificate_against_the_urls_name_not_the_address(certificates, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["localhost"]
    trust = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    for port in _tls_receiver(certificates, "localhost"):
        target = outbound.vet_url(f"https://localhost:{port}/secure")
        assert {sockaddr[0] for _f, sockaddr in target.addresses} == {"127.0.0.1"}
        # Connected to 127.0.0.1, verified as `localhost` (the certificate names no address).
        assert _get(target, trust) == 200
        # Without the test CA, the default trust store refuses it: verification is on.
        with pytest.raises(ssl.SSLCertVerificationError):
            _get(target)
    for port in _tls_receiver(certificates, "other.test"):
        with pytest.raises(ssl.SSLCertVerificationError, match=r"[Hh]ostname mismatch"):
            _get(outbound.vet_url(f"https://localhost:{port}/"), trust)


# --- synthetic checks --------------------------------------------------------------------------


@pytest.fixture
def service(db):
    return f.make_service(name="EPR")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
                                 "http://localhost./", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                                 "http://169.254.169.254/", "http://10.0.0.1/", "http://100.64.0.1/"])
def test_the_api_answers_422_with_the_reason_on_create_and_update(url, service, admin_api):
    r = admin_api.post("synthetic-checks", {"service": service.pk, "name": "internal", "url": url})
    assert r.status_code == 422, r.content
    body = r.json()
    assert [e["field"] for e in body["errors"]] == ["url"]
    assert "OPSDESK_OUTBOUND_ALLOW" in body["detail"] and ("loopback" in body["detail"] or "address" in body["detail"]
                                                         or "local name" in body["detail"])
    assert not SyntheticCheck.objects.exists()
    ok = admin_api.post("synthetic-checks", {"service": service.pk, "name": "public", "url": "http://8.8.8.8/"})
    assert ok.status_code == 201, ok.content
    r = admin_api.patch(f"synthetic-checks/{ok.json()['id']}", {"url": url})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    assert SyntheticCheck.objects.get().url == "http://8.8.8.8/"


@pytest.mark.django_db
def test_the_allow_list_lets_an_on_premises_check_be_configured(service, admin_api, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["10.20.0.0/16"]
    r = admin_api.post("synthetic-checks", {"service": service.pk, "name": "intranet", "url": "http://10.20.1.5/"})
    assert r.status_code == 201, r.content


def _make_check(service, url: str) -> SyntheticCheck:
    with clock.frozen(NOW - dt.timedelta(seconds=1)):
        return slo_services.create_check({"service": service.pk, "name": url, "url": url}, actor=None)


@pytest.mark.django_db
def test_dns_rebinding_after_configuration_is_refused_at_run_time(service, receiver, settings, monkeypatch):
    """Configured while the name resolved to a public address; at run time it answers loopback:
    the run fails with the reason and nothing connects to the receiver on that loopback port."""
    answer = {"address": "93.184.216.34"}
    monkeypatch.setattr(outbound, "_getaddrinfo", lambda host, port: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], port))])
    check = _make_check(service, f"http://rebind.test:{receiver}/")
    answer["address"] = "127.0.0.1"
    [result] = synthetic.run_due_checks(now=NOW)
    assert result.check_run_id == check.pk and not result.ok and result.status_code is None
    assert result.error.startswith("refused: rebind.test resolves to 127.0.0.1: a loopback address")
    assert _Receiver.hits == []


@pytest.mark.django_db
def test_a_check_reaches_a_loopback_receiver_only_through_the_allow_list(service, receiver, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    _make_check(service, f"http://127.0.0.1:{receiver}/up")
    settings.OPSDESK_OUTBOUND_ALLOW = []  # the operator withdrew it: the next run refuses
    [refused] = synthetic.run_due_checks(now=NOW)
    assert not refused.ok and "loopback" in refused.error and _Receiver.hits == []
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    [passed] = synthetic.run_due_checks(now=NOW + dt.timedelta(minutes=1))
    assert passed.ok and passed.status_code == 200 and _Receiver.hits == [("/up", f"127.0.0.1:{receiver}")]


@pytest.mark.django_db
def test_a_redirect_to_an_internal_address_is_the_result_and_not_followed(service, receiver, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    _make_check(service, f"http://127.0.0.1:{receiver}/moved")
    [result] = synthetic.run_due_checks(now=NOW)
    assert (result.status_code, result.ok) == (301, True)  # below fail_status_from (400)
    assert [path for path, _host in _Receiver.hits] == ["/moved"]
    assert SyntheticResult.objects.count() == 1
