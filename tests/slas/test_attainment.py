"""SLA attainment per client, region and site and month: API and report page, tenant-scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Http

from opsdesk.core import clock
from opsdesk.slas.models import SlaClockState
from opsdesk.slas.templatetags.slas_ui import pct
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2030, 6, 15, 12, tzinfo=dt.UTC)


def _settled(client, site, status, when, *, target="resolution", kind="work_order"):
    _settled.n += 1
    return SlaClockState.objects.create(
        kind=kind, object_id=_settled.n, target=target, client=client, site=site, status=status, target_minutes=60,
        settled_at=when, computed_at=when)


_settled.n = 0


@pytest.fixture
def w():
    emea, amer = f.make_region(name="EMEA"), f.make_region(name="AMER")
    alpha, beta = f.make_client(name="Alpha Health"), f.make_client(name="Beta <b>Bank</b>")
    lon = f.make_site(name="London", region=emea, clients=[alpha])
    nyc = f.make_site(name="New York", region=amer, clients=[alpha, beta])
    may, june = dt.datetime(2030, 5, 31, 23, 30, tzinfo=dt.UTC), dt.datetime(2030, 6, 1, 0, 30, tzinfo=dt.UTC)
    for status in ("met", "met", "met", "breached"):
        _settled(alpha, lon, status, may)
    _settled(alpha, nyc, "met", june)
    _settled(beta, nyc, "breached", june)
    _settled(beta, nyc, "met", june)
    _settled(alpha, lon, "running", june)  # not settled: not counted
    _settled(alpha, lon, "cancelled", june)
    _settled(alpha, lon, "breached", june, target="response")  # another target
    _settled(alpha, lon, "breached", june, kind="incident")  # another kind
    _settled(alpha, lon, "met", dt.datetime(2029, 11, 30, tzinfo=dt.UTC))  # outside the six months
    return {"alpha": alpha, "beta": beta, "alpha_user": f.make_user("client", client=alpha)}


def _get(api, **params):
    with clock.frozen(NOW):
        response = api.get("sla/attainment", **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_per_client_and_month_counts_only_settled_targets_of_the_kind_and_target(w, admin_api):
    rows = _get(admin_api)
    assert [(r["group_name"], r["month"], r["met"], r["breached"], r["attainment"]) for r in rows] == [
        ("Alpha Health", "2030-05", 3, 1, 0.75),
        ("Alpha Health", "2030-06", 1, 0, 1.0),
        ("Beta <b>Bank</b>", "2030-06", 1, 1, 0.5),
    ]
    assert [r["total"] for r in rows] == [4, 1, 2]


def test_per_region_and_site_and_other_targets(w, admin_api):
    by_region = {(r["group_name"], r["month"]): (r["met"], r["breached"]) for r in _get(admin_api, group_by="region")}
    assert by_region == {("AMER", "2030-06"): (2, 1), ("EMEA", "2030-05"): (3, 1)}
    by_site = {(r["group_name"], r["month"]) for r in _get(admin_api, group_by="site")}
    assert by_site == {("London", "2030-05"), ("New York", "2030-06")}
    response = _get(admin_api, target="response")
    assert [(r["month"], r["breached"]) for r in response] == [("2030-06", 1)]
    assert [r["breached"] for r in _get(admin_api, kind="incident")] == [1]
    older = _get(admin_api, since="2029-11", until="2029-12")
    assert [(r["month"], r["met"]) for r in older] == [("2029-11", 1)]


def test_a_client_user_sees_only_their_own_clients_attainment(w, api_for):
    rows = _get(api_for(w["alpha_user"]), group_by="site")
    assert {r["group_name"] for r in rows} == {"London", "New York"}
    assert sum(r["total"] for r in rows) == 5  # Beta Bank's two New York targets are not Alpha's


@pytest.mark.parametrize("params", [
    {"since": "2030-13"}, {"since": "May"}, {"until": "0000-01"}, {"since": "2030-06", "until": "2030-01"},
    {"since": "2020-01", "until": "2030-01"}, {"group_by": "planet"}, {"kind": "change"}, {"target": "lunch"},
])
def test_bad_parameters_are_problems_not_500s(w, admin_api, params):
    with clock.frozen(NOW):
        answer = admin_api.get("sla/attainment", **params)
    assert answer.status_code in (400, 422)
    assert answer["Content-Type"].startswith("application/problem+json")


def test_the_report_page_shows_each_month_and_escapes_names(w):
    http = Http()
    http.force_login(f.make_user("service_desk"))
    with clock.frozen(NOW):
        page = http.get("/slas/attainment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Beta &lt;b&gt;Bank&lt;/b&gt;" in html and "<b>Bank</b>" not in html
    assert "75 %" in html and "3/4" in html and "2030-01" in html and "2030-06" in html
    with clock.frozen(NOW):
        bad = http.get("/slas/attainment/", {"since": "soon", "group_by": "planet"})
    assert bad.status_code == 400
    assert "a month is written YYYY-MM" in bad.content.decode()
    with clock.frozen(NOW):
        sites = http.get("/slas/attainment/", {"group_by": "site"}, HTTP_HX_REQUEST="true")
    assert "New York" in sites.content.decode() and "<h1>" not in sites.content.decode()


def test_pct_never_rounds_a_miss_up_to_a_hundred():
    assert [pct(x) for x in (1.0, 0.9999, 0.999, 0.75, 0.9234, None)] == ["100 %", "99.9 %", "99.9 %", "75 %",
                                                                          "92.3 %", "–"]
