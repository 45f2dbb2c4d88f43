"""The engineer's check-in and check-out forms: a reason outside the window (refused without one, in
the site's time), the hidden location fields, a not-completed check-out; the work order page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock
from opsdesk.sites.models import Site
from opsdesk.workorders import services
from opsdesk.workorders.models import Visit, WorkOrder
from tests.workorders.builders import NOW, START, H, arrange, make, world

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def w():
    w = world()
    Site.objects.filter(pk=w["site"].pk).update(latitude=51.5074, longitude=-0.1278)
    wo = make(w, "readiness")
    arrange(w, wo)
    with clock.frozen(NOW):
        services.assign(wo, w["engineer"], actor=w["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = services.transition_work_order(wo, to, actor=w["dispatcher"], reason="go")
    w["wo"] = wo
    return w


def test_check_in_form_asks_for_a_reason_outside_the_window_and_records_it(w):
    http, wo = login(w["engineer_user"]), w["wo"]
    url = reverse("workorders:check-in", args=[wo.pk])
    page = http.get(url).content.decode()
    assert 'name="reason"' in page and 'type="hidden" name="latitude"' in page and "check-in.js" in page
    with clock.frozen(START - dt.timedelta(days=3)):
        r = http.post(url, {"read_rules": "on"})
        assert r.status_code == 400
        body = r.content.decode()
        assert "Tue 04 Jun 2030 10:00–12:00 BST (Europe/London)" in body and "30 min early, 60 min late" in body
        assert WorkOrder.objects.get(pk=wo.pk).state == "dispatched"
        r = http.post(url, {"read_rules": "on", "reason": f"Asked to come early {XSS}", "latitude": "51.5164",
                            "longitude": "-0.1278", "accuracy_m": "12"})
    assert r.status_code == 302
    visit = Visit.objects.get(work_order=wo)
    assert visit.outside_window_reason == f"Asked to come early {XSS}" and visit.far_from_site
    detail = login(w["dispatcher"]).get(reverse("workorders:detail", args=[wo.pk])).content.decode()
    assert 'data-testid="far-from-site"' in detail and "Outside the window" in detail
    assert "Asked to come early &lt;script&gt;" in detail and XSS not in detail


def test_not_completed_check_out_form_records_the_reason(w):
    wo = w["wo"]
    with clock.frozen(START):
        services.check_in(wo, actor=w["engineer_user"])
    http = login(w["engineer_user"])
    url = reverse("workorders:check-out-not-completed", args=[wo.pk])
    assert 'data-testid="not-completed-form"' in http.get(reverse("workorders:check-out", args=[wo.pk])).content.decode()
    with clock.frozen(START + H):
        r = http.post(url, {"failure_reason": "other"})
        assert r.status_code == 400 and "required with" in r.content.decode()
        r = http.post(url, {"failure_reason": "no_access", "failure_note": "Security desk closed"})
    assert r.status_code == 302 and WorkOrder.objects.get(pk=wo.pk).state == "on_hold"
    detail = login(w["dispatcher"]).get(reverse("workorders:detail", args=[wo.pk])).content.decode()
    assert "No access on arrival" in detail and "Security desk closed" in detail
