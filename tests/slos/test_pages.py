"""The SLO pages: the list (grouped by service, status in words, firing rules, filters, htmx rows,
a bounded number of queries), one SLO (report, rules, pygal charts, synthetic checks), what client
users may see, escaping, and bad query parameters."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.test import Client as HttpClient

from opsdesk.core import clock
from opsdesk.slos import page_queries
from opsdesk.slos.models import SliBucket, SyntheticCheck, SyntheticResult
from opsdesk.slos.reports import report_of
from tests import factories as f
from tests.slos.page_factories import fill, make_slo

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'
LIST = "/slos/"


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-slo="(\d+)"', html)]


def row(html: str, pk: int) -> str:
    match = re.search(rf'<tr data-slo="{pk}".*?</tr>', html, re.S)
    assert match, f"no SLO row {pk}"
    return match.group(0)


@pytest.fixture
def w():
    """Client A: a healthy availability SLO and a burning latency SLO on a service with a hostile
    name, and a synthetic check; client B: one SLO."""
    now = clock.now()
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    svc_a = f.make_service(a, name=f"Records {XSS}")
    svc_b = f.make_service(b, name="Payments")
    healthy = make_slo(svc_a)
    burning = make_slo(svc_a, name=f"Latency {XSS}", kind="latency", objective=0.95, latency_threshold_ms=800)
    other = make_slo(svc_b)
    fill(healthy, now, bad_share=lambda h: 0.0002)
    fill(burning, now, bad_share=lambda h: 0.9 if h < 6 else 0.01)
    fill(other, now)
    check = SyntheticCheck.objects.create(service=svc_a, name=f"Login page {XSS}", url="https://records.example/login",
                                          availability_slo=healthy, latency_slo=burning)
    for i in range(12):
        SyntheticResult.objects.create(check_run=check, at=now - dt.timedelta(minutes=i), status_code=200 if i else 503,
                                       duration_ms=120.0 + i, ok=bool(i), error="" if i else "HTTP 503")
    staff = f.make_user("service_desk", password=None)
    return type("W", (), {
        "now": now, "a": a, "b": b, "svc_a": svc_a, "svc_b": svc_b, "healthy": healthy, "burning": burning,
        "other": other, "check": check, "staff": login(staff),
        "user_a": login(f.make_user("client", client=a, password=None)),
    })


# -- the list ---------------------------------------------------------------------------------------


def test_list_groups_slos_by_service_with_objective_budget_status_and_firing_rules(w):
    html = html_of(w.staff.get(LIST))
    assert row_ids(html) == [w.healthy.pk, w.burning.pk, w.other.pk]  # Alpha's service first, then by name
    assert html.count('class="group-row"') == 2
    r = row(html, w.healthy.pk)
    assert "99.9 %" in r and "28 days" in r and "Availability" in r
    assert 'data-testid="slo-status"' in r and ">Healthy<" in r and ">none<" in r
    assert f'href="/slos/{w.healthy.pk}/"' in r
    r = row(html, w.burning.pk)
    assert ">Budget exhausted<" in r and "under 800 ms" in r and "95 %" in r
    assert all(f'<span class="tag">{name}</span>' in r for name in ("page-fast", "page-slow", "ticket"))
    assert re.search(r'data-testid="budget">-\d', r)  # overspent
    assert "Beta Bank" in html  # staff see each service's client


def test_list_filters_by_client_and_service_and_answers_htmx_with_the_rows(w):
    html = html_of(w.staff.get(LIST, {"client": w.b.pk}))
    assert row_ids(html) == [w.other.pk] and f'<option value="{w.b.pk}" selected>' in html
    html = html_of(w.staff.get(LIST, {"service": w.svc_a.pk}))
    assert row_ids(html) == [w.healthy.pk, w.burning.pk]
    rows = html_of(w.staff.get(LIST, {"service": w.svc_b.pk}, HTTP_HX_REQUEST="true"))
    assert 'data-testid="slo-rows"' in rows and "<html" not in rows and "<form" not in rows
    assert row_ids(rows) == [w.other.pk]
    html = html_of(w.staff.get(LIST, {"client": w.a.pk, "service": w.svc_b.pk}))
    assert row_ids(html) == [] and "No SLOs match these filters." in html


@pytest.mark.parametrize("params", [
    {"client": "abc"}, {"service": "-1"}, {"service": "99999999999999999999999"}, {"client": "9" * 40},
    {"page": "zzz"}, {"page": "999"}, {"service": "1\x00"}, {"client": "", "service": " "},
])
def test_bad_query_parameters_are_ignored(w, params):
    html = html_of(w.staff.get(LIST, params))
    assert w.healthy.pk in row_ids(html)


def test_list_reads_every_report_in_one_query(w, django_assert_max_num_queries):
    for i in range(15):
        fill(make_slo(f.make_service(w.b, name=f"Service {i:02}")), w.now, hours=6)
    w.staff.get(LIST)  # warm the session
    with django_assert_max_num_queries(9):  # the reports: 2 queries for buckets of one length
        html = html_of(w.staff.get(LIST))
    assert len(row_ids(html)) == 18


def test_the_list_reports_match_each_slos_own_report(w):
    """The list's banded sums give exactly the numbers of report_of over every bucket."""
    rng = random.Random(7)
    odd = make_slo(w.svc_b, name="Odd window", window_days=2)
    for slo in (w.healthy, w.burning, odd):
        SliBucket.objects.filter(slo=slo).delete()
        fill(slo, w.now, hours=24 * 4, valid=500, bad_share=lambda h: rng.random() * 0.05)
    slos = [w.healthy, w.burning, odd, w.other]
    banded = page_queries.reports_for(slos, w.now)
    for slo in slos:
        full = report_of(slo, w.now)
        got = banded[slo.pk]
        assert (got.good, got.valid) == (full.good, full.valid)
        assert got.budget_remaining == pytest.approx(full.budget_remaining)
        for mine, theirs in zip(got.rules, full.rules, strict=True):
            assert mine.long_rate == pytest.approx(theirs.long_rate)
            assert mine.short_rate == pytest.approx(theirs.short_rate)
            assert mine.firing == theirs.firing


def test_navigation_links_the_slo_list_and_the_service_page_links_its_slos(w):
    html = html_of(w.staff.get(LIST))
    nav = html.split("</nav>")[0]
    assert 'href="/slos/" aria-current="page"' in nav and ">SLOs<" in nav
    assert 'href="/slas/attainment/">SLAs<' in nav and "<small>soon" not in nav.split(">SLOs<")[0][-200:]
    service_page = html_of(w.staff.get(f"/services/{w.svc_a.pk}/"))
    assert f'href="/slos/?service={w.svc_a.pk}"' in service_page


# -- one SLO ----------------------------------------------------------------------------------------


def test_detail_shows_the_report_rules_charts_and_synthetic_checks(w):
    html = html_of(w.staff.get(f"/slos/{w.burning.pk}/"))
    assert 'data-testid="slo-status">Budget exhausted<' in html
    rules = re.search(r'data-testid="slo-rules".*?</table>', html, re.S).group(0)
    assert rules.count(">Fires<") == 3 and "14.4×" in rules and "6×" in rules and "3 days" in rules
    charts = re.search(r'data-testid="slo-charts".*?</section>', html, re.S).group(0)
    svgs = re.findall(r"<svg .*?</svg>", charts, re.S)
    assert len(svgs) == 2 and all('class="pygal-chart"' in s for s in svgs)
    assert "<script" not in charts and "<?xml" not in charts
    assert "page-fast threshold (14.4)" in svgs[1] and "Budget spent (0 %)" in svgs[0]
    checks = re.search(r'data-testid="synthetic-checks".*?</table>', html, re.S).group(0)
    assert "https://records.example/login" in checks and "HTTP 503" in checks
    assert checks.count('badge badge-ok" title') == 9 and checks.count('badge badge-danger" title') == 1  # the last 10
    assert f'href="/services/{w.svc_a.pk}/"' in html and f'href="/slos/?service={w.svc_a.pk}"' in html


def test_detail_of_a_healthy_slo_and_one_without_data(w):
    html = html_of(w.staff.get(f"/slos/{w.healthy.pk}/"))
    assert 'data-testid="slo-status">Healthy<' in html and ">Fires<" not in html
    empty = make_slo(w.svc_b, name="Fresh")
    html = html_of(w.staff.get(f"/slos/{empty.pk}/"))
    assert 'data-testid="slo-status">No data<' in html and "No synthetic checks on this service." in html
    paused = make_slo(w.svc_b, name="Paused", window_days=1, active=False)
    fill(paused, w.now, hours=2)
    html = html_of(w.staff.get(f"/slos/{paused.pk}/"))
    assert 'data-testid="slo-status">Not active<' in html and "over 1 day" in html


def test_user_text_is_escaped_in_the_page_and_in_the_charts(w):
    for url in (LIST, f"/slos/{w.burning.pk}/"):
        html = html_of(w.staff.get(url))
        assert XSS not in html and "<script>alert" not in html
        assert "Records &lt;script&gt;" in html
    html = html_of(w.staff.get(f"/slos/{w.burning.pk}/"))
    svg = re.search(r'data-testid="budget-chart".*?</svg>', html, re.S).group(0)
    assert "Records &lt;script&gt;alert" in svg  # the chart's title, escaped by pygal


def test_missing_and_oversized_ids_are_404(w):
    for pk in (999999, 2**63, 10**30):
        assert w.staff.get(f"/slos/{pk}/").status_code == 404


# -- client users -----------------------------------------------------------------------------------


def test_client_users_see_only_their_own_clients_slos(w):
    html = html_of(w.user_a.get(LIST))
    assert row_ids(html) == [w.healthy.pk, w.burning.pk]
    assert "Beta" not in html and 'id="f-client"' not in html
    assert row_ids(html_of(w.user_a.get(LIST, {"client": w.b.pk}))) == [w.healthy.pk, w.burning.pk]
    assert row_ids(html_of(w.user_a.get(LIST, {"service": w.svc_b.pk}))) == []
    assert ">SLOs<" in html.split("</nav>")[0]
    assert w.user_a.get(f"/slos/{w.other.pk}/").status_code == 404
    assert html_of(w.user_a.get(f"/slos/{w.burning.pk}/"))


def test_anonymous_users_are_sent_to_sign_in(w):
    response = HttpClient().get(LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]
