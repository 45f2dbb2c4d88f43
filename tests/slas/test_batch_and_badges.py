"""SLA clocks of many objects in one batch (same answers as one at a time, a fixed number of
queries), the badge's words, and the badges on the work queue and the incident list."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock
from opsdesk.incidents import services as incident_services
from opsdesk.slas import services
from opsdesk.slas.badges import badge, duration_words
from opsdesk.slas.clocks import (
    Sla,
    TargetClock,
    clocks_for_incidents,
    clocks_for_work_orders,
    sla_of,
)
from opsdesk.workorders import services as work_services
from opsdesk.workorders.queries import queue_rows
from tests import factories as f
from tests.slas.test_clocks import _move, _policy, _work_order, at
from tests.workorders.builders import NOW, make, world

UTC = dt.UTC
XSS = "<script>alert('x')</script>"


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def row_of(body: str, attr: str, pk: int) -> str:
    match = re.search(rf'<tr[^>]*{attr}="{pk}".*?</tr>', body, re.S)
    assert match, f"no row {attr}={pk}"
    return match.group(0)


def _incident_policy(**kw):
    data = {"name": "SEV2", "applies_to": "incident", "level": "sev2", "response_minutes": 15,
            "resolution_minutes": 240, "business_hours": False}
    data.update(kw)
    return services.create_policy(data, actor=None)


# -- the batch -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_batch_gives_the_single_answers_for_work_orders(django_assert_max_num_queries):
    w = world()
    _policy()
    _policy(name="P3 24x7", level="p3", business_hours=False, pause_states=[])
    held = _work_order(w)  # on hold: paused clocks
    moving = _move(_work_order(w), "readiness", at(21, 8), w["desk"])
    fresh = make(w, "submitted", priority="p2")
    p3 = make(w, "triage", priority="p3")
    none = make(w, "submitted", priority="p4")  # no policy
    objs = [held, moving, fresh, p3, none]
    with clock.frozen(at(22, 11)):
        singles = {o.pk: sla_of(o) for o in objs}
        with django_assert_max_num_queries(5):
            batch = clocks_for_work_orders(objs)
    assert batch == singles
    assert batch[none.pk].policy is None and batch[none.pk].targets == []
    assert {t.status for t in batch[held.pk].targets} >= {"paused"}


@pytest.mark.django_db
def test_the_batch_reads_list_rows_with_deferred_fields_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    w = world()
    _policy()
    ids = [make(w, "triage", priority="p2").pk for _ in range(3)]
    with clock.frozen(at(20, 12)), django_assert_max_num_queries(5):
        few = clocks_for_work_orders(queue_rows(ids))
    ids += [make(w, "readiness", priority="p2").pk for _ in range(12)]
    rows = queue_rows(ids)  # as the queue loads them: `.only()` the columns it shows
    with clock.frozen(at(20, 12)):
        with django_assert_max_num_queries(5):
            many = clocks_for_work_orders(rows)
        singles = {r.pk: sla_of(r) for r in rows}
    assert len(many) == 15 and many == singles
    assert all(many[pk] == few[pk] for pk in few)


@pytest.mark.django_db
def test_the_batch_gives_the_single_answers_for_incidents(django_assert_max_num_queries):
    _incident_policy()
    commander = f.make_user("incident_commander")
    site = f.make_site(code="lon-x", time_zone="Europe/London")
    _incident_policy(name="SEV1 business", level="sev1", business_hours=True)
    made = []
    with clock.frozen(at(20, 9)):
        for n, severity in enumerate(["sev2", "sev2", "sev1", "sev3"]):
            made.append(incident_services.declare_incident(
                {"title": f"Incident {n}", "severity": severity, "sites": [site.pk]}, actor=commander))
    with clock.frozen(at(20, 9, 10)):
        made[0] = incident_services.transition_incident(made[0], "acknowledged", actor=commander)
    with clock.frozen(at(20, 12)):
        singles = {i.pk: sla_of(i) for i in made}
        with django_assert_max_num_queries(6):
            batch = clocks_for_incidents(made)
    assert batch == singles
    assert batch[made[3].pk].policy is None
    assert batch[made[2].pk].time_zone == "Europe/London" and batch[made[2].pk].business_hours


# -- the badge's words ---------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "words"), [
    (0, "0m"), (0.2, "1m"), (40, "40m"), (60, "1h"), (135, "2h 15m"), (24 * 60, "1d"), (27 * 60 + 59, "1d 3h"),
])
def test_duration_words(minutes, words):
    assert duration_words(minutes) == words


def _sla(*targets, zone="UTC"):
    return Sla("work_order", 1, SimpleNamespace(), time_zone=zone, targets=list(targets))


DUE = dt.datetime(2030, 5, 28, 12, tzinfo=UTC)


def test_the_badge_shows_the_most_urgent_open_target():
    met = TargetClock("response", 60, "met")
    running = TargetClock("resolution", 2700, "running", remaining_minutes=135, due_at=DUE)
    risky = TargetClock("onsite", 480, "at_risk", remaining_minutes=40, due_at=DUE)
    b = badge(_sla(met, running))
    assert (b.text, b.title, b.css) == ("SLA 2h 15m left", "Resolution due Tue 28 May 12:00 UTC", "badge-info")
    assert badge(_sla(met, running, zone="Europe/London")).title == "Resolution due Tue 28 May 13:00 BST"
    assert badge(_sla(running, risky)).text == "SLA at risk · 40m left"
    breached = TargetClock("response", 60, "breached", remaining_minutes=0)
    assert badge(_sla(running, risky, breached)).text == "SLA breached"
    assert badge(_sla(TargetClock("onsite", 480, "paused", remaining_minutes=30), running)).text == "SLA 2h 15m left"
    assert badge(_sla(TargetClock("onsite", 480, "paused", remaining_minutes=30), met)).text == "SLA paused"
    assert badge(_sla(met, TargetClock("resolution", 60, "cancelled"))) is None
    assert badge(Sla("work_order", 1, None)) is None
    assert badge(None) is None


# -- the list pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_work_queue_shows_sla_badges_for_rows_with_a_policy(django_assert_max_num_queries):
    w = world()
    _policy(business_hours=False, pause_states=[])
    covered = make(w, "submitted", priority="p2", title=f"Covered {XSS}")
    uncovered = make(w, "submitted", priority="p4")
    http = login(w["desk"])
    with clock.frozen(NOW + dt.timedelta(minutes=30)):
        body = http.get(reverse("workorders:queue")).content.decode()
        rows = http.get(reverse("workorders:queue"), HTTP_HX_REQUEST="true").content.decode()
    for page in (body, rows):
        row = row_of(page, "data-wo", covered.pk)
        assert 'data-testid="sla-badge"' in row and "SLA 30m left" in row
        assert 'title="Response due Mon 20 May 10:00 UTC"' in row
        assert 'data-testid="sla-badge"' not in row_of(page, "data-wo", uncovered.pk)
    assert "&lt;script&gt;" in body and XSS not in body
    with clock.frozen(NOW + dt.timedelta(minutes=50)):
        row = row_of(http.get(reverse("workorders:queue")).content.decode(), "data-wo", covered.pk)
    assert "SLA at risk · 10m left" in row and "badge-warn" in row
    with clock.frozen(NOW + dt.timedelta(minutes=61)):
        row = row_of(http.get(reverse("workorders:queue")).content.decode(), "data-wo", covered.pk)
    assert "SLA breached" in row and "badge-danger" in row
    for _ in range(20):
        make(w, "triage", priority="p2")
    with clock.frozen(NOW + dt.timedelta(minutes=30)), django_assert_max_num_queries(20):
        assert http.get(reverse("workorders:queue")).status_code == 200


@pytest.mark.django_db
def test_the_incident_list_shows_sla_badges_for_incidents_with_a_policy(django_assert_max_num_queries):
    _incident_policy()
    commander = f.make_user("incident_commander", password=None)
    with clock.frozen(at(20, 9)):
        covered = incident_services.declare_incident({"title": f"Covered {XSS}", "severity": "sev2"}, actor=commander)
        uncovered = incident_services.declare_incident({"title": "Minor", "severity": "sev4"}, actor=commander)
    http = login(commander)
    with clock.frozen(at(20, 9, 10)):
        body = http.get(reverse("incidents:list")).content.decode()
        rows = http.get(reverse("incidents:list"), HTTP_HX_REQUEST="true").content.decode()
    for page in (body, rows):
        row = row_of(page, "data-incident", covered.pk)
        assert "SLA 5m left" in row and 'title="Response due Mon 20 May 09:15 UTC"' in row
        assert 'data-testid="sla-badge"' not in row_of(page, "data-incident", uncovered.pk)
    assert "&lt;script&gt;" in body and XSS not in body
    with clock.frozen(at(20, 9)):
        for n in range(20):
            incident_services.declare_incident({"title": f"Incident {n}", "severity": "sev2"}, actor=commander)
    with clock.frozen(at(20, 9, 10)), django_assert_max_num_queries(20):
        assert http.get(reverse("incidents:list")).status_code == 200


@pytest.mark.django_db
def test_the_client_portal_and_my_work_show_sla_badges():
    w = world()
    _policy(business_hours=False, pause_states=[])
    wo = make(w, "submitted", priority="p2")
    with clock.frozen(NOW):
        work_services.assign(wo, w["engineer"], actor=w["dispatcher"])
    with clock.frozen(NOW + dt.timedelta(minutes=50)):
        portal = login(w["client_user"]).get(reverse("workorders:portal")).content.decode()
        mine = login(w["engineer_user"]).get(reverse("workorders:mine"), {"day": "2030-06-04"}).content.decode()
    assert "SLA at risk · 10m left" in row_of(portal, "data-wo", wo.pk)
    item = re.search(rf'<li[^>]*data-wo="{wo.pk}".*?</li>', mine, re.S)
    assert item and "SLA at risk · 10m left" in item.group(0)
