"""The postmortem and problem pages: what they show, their forms, escaping, and who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser

from opsdesk.core import clock
from opsdesk.learning import services
from opsdesk.learning.models import ActionItem, Postmortem, Problem
from tests import factories as f
from tests.incidents.factories import make_incident, story
from tests.learning.factories import make_action, make_postmortem

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


def browser(user) -> Browser:
    b = Browser()
    b.force_login(user)
    return b


@pytest.fixture
def p():
    a, b = f.make_client(), f.make_client()
    svc = f.make_service(a, name="EPR")
    commander = f.make_user("incident_commander", password=None)
    incident = make_incident(services=[svc], owner=commander, title=f"EPR down {XSS}")
    story(incident)

    class P:
        pass

    out = P()
    out.__dict__.update(locals())
    out.staff = browser(commander)
    out.client_a = browser(f.make_user("client", client=a, password=None))
    out.client_b = browser(f.make_user("client", client=b, password=None))
    return out


def pm_url(pm) -> str:
    return f"/incidents/postmortems/{pm.pk}/"


def test_start_from_the_incident_then_edit_publish_and_track_actions(p):
    r = p.staff.post(f"/incidents/{p.incident.pk}/postmortem/")
    pm = Postmortem.objects.get()
    assert r.status_code == 302 and r["Location"] == pm_url(pm)
    page = p.staff.get(pm_url(pm))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="postmortem-form"' in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert "To be completed by the review." in html and "Before it can be published" in html

    sections = {name: getattr(pm, name) for name in ("summary", "impact", "detection", "response")}
    form = {**sections, "contributing_factors": "The pool was too small; the operator should have known",
            "went_well": "Paging", "was_hard": f"Finding logs {XSS}", "owner": p.commander.pk}
    assert p.staff.post(f"/incidents/postmortems/{pm.pk}/edit/", form).status_code == 302
    pm.refresh_from_db()
    assert pm.was_hard == f"Finding logs {XSS}"
    html = p.staff.get(pm_url(pm)).content.decode()
    assert 'data-testid="blame-hint"' in html and "should have" in html
    assert XSS not in html

    for to in ("in_review", "published"):
        r = p.staff.post(f"/incidents/postmortems/{pm.pk}/transition/", {"to": to})
        assert r.status_code == 302
    pm.refresh_from_db()
    assert pm.state == "published"
    html = p.staff.get(pm_url(pm)).content.decode()
    assert 'data-testid="postmortem-form"' not in html and "Finding logs &lt;script&gt;" in html

    owner = f.make_user("engineer", password=None)
    r = p.staff.post(f"/incidents/postmortems/{pm.pk}/actions/", {"title": "Grow the pool", "owner": owner.pk, "due_on": "2025-03-10"})
    assert r.status_code == 302 and r["Location"].endswith("#actions")
    action = ActionItem.objects.get()
    with clock.frozen(dt.datetime(2025, 3, 20, tzinfo=dt.UTC)):
        html = p.staff.get(pm_url(pm)).content.decode()
    assert 'data-overdue="true"' in html and "1 overdue" in html
    r = p.staff.post(f"/incidents/actions/{action.pk}/", {"owner": owner.pk, "due_on": "2025-03-10", "state": "done"})
    action.refresh_from_db()
    assert r.status_code == 302 and action.state == "done" and action.done_at is not None


def test_refusals_are_messages_not_errors(p):
    pm = make_postmortem(p.incident)
    r = p.staff.post(f"/incidents/postmortems/{pm.pk}/transition/", {"to": "published"}, follow=True)
    assert r.status_code == 200 and "can move to: in_review" in r.content.decode()
    r = p.staff.post(f"/incidents/postmortems/{pm.pk}/actions/", {"title": "", "owner": "", "due_on": "soon"}, follow=True)
    assert "An action needs a title" in r.content.decode()
    live = make_incident(services=[p.svc], state="investigating")
    r = p.staff.post(f"/incidents/{live.pk}/postmortem/", follow=True)
    assert "Resolve it first" in r.content.decode()


def test_client_users_see_published_postmortems_of_their_own_incidents_and_never_write(p):
    pm = make_postmortem(p.incident, summary=f"Summary {XSS}")
    make_action(pm, due_on=dt.date(2025, 3, 1))
    assert p.client_a.get(pm_url(pm)).status_code == 404  # a draft
    Postmortem.objects.filter(pk=pm.pk).update(state="published")
    page = p.client_a.get(pm_url(pm))
    html = page.content.decode()
    assert page.status_code == 200 and "Summary &lt;script&gt;" in html and XSS not in html
    assert "<form" not in html.split("<main", 1)[1] and 'data-testid="actions"' in html
    assert p.client_b.get(pm_url(pm)).status_code == 404
    assert p.client_a.post(f"/incidents/postmortems/{pm.pk}/edit/", {"summary": "x"}).status_code == 404
    assert browser(f.make_user("engineer")).post(f"/incidents/postmortems/{pm.pk}/transition/", {"to": "draft"}).status_code == 403


def test_problem_list_filters_and_htmx_rows(p):
    problem = Problem.objects.create(title=f"Pool {XSS}", service=p.svc, signature="PoolExhausted")
    services.link_incident(problem, p.incident, p.commander)
    Problem.objects.create(title="Dismissed one", signature="x", state="dismissed")
    html = p.staff.get("/incidents/problems/").content.decode()
    assert f"PRB-{problem.pk}" in html and "Dismissed one" in html and XSS not in html
    html = p.staff.get("/incidents/problems/", {"state": "dismissed"}).content.decode()
    assert "Dismissed one" in html and "PoolExhausted" not in html
    html = p.staff.get("/incidents/problems/", {"service": p.svc.pk, "q": "pool"}).content.decode()
    assert "PoolExhausted" in html and "Dismissed one" not in html
    assert p.staff.get("/incidents/problems/", {"service": "9" * 30}).status_code == 200
    rows = p.staff.get("/incidents/problems/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="problem-rows"' in rows and "<html" not in rows
    assert p.client_a.get("/incidents/problems/").status_code == 200
    assert "PoolExhausted" not in p.client_a.get("/incidents/problems/").content.decode()  # proposed: internal


def test_problem_page_edit_and_link(p):
    problem = Problem.objects.create(title="Pool", service=p.svc, signature="PoolExhausted")
    url = f"/incidents/problems/{problem.pk}/"
    html = p.staff.get(url).content.decode()
    assert 'data-testid="problem-form"' in html and "No incidents linked." in html
    r = p.staff.post(f"{url}edit/", {"title": "Pool exhausted", "state": "known_error", "known_error": f"Leak {XSS}",
                                     "workaround": "Restart the service", "owner": p.commander.pk})
    assert r.status_code == 302
    problem.refresh_from_db()
    assert problem.state == "known_error" and problem.known_error == f"Leak {XSS}"
    r = p.staff.post(f"{url}incidents/", {"incident": f"INC-{p.incident.pk}"})
    assert r.status_code == 302 and r["Location"].endswith("#incidents")
    html = p.staff.get(url).content.decode()
    assert f"INC-{p.incident.pk}" in html and "Leak &lt;script&gt;" in html and XSS not in html
    r = p.staff.post(f"{url}incidents/", {"incident": "INC-999999"}, follow=True)
    assert "no incident with id 999999" in r.content.decode()
    r = p.staff.post(f"{url}incidents/", {"incident": "yesterday's"}, follow=True)
    assert "Give the incident" in r.content.decode()
    assert p.client_a.get(url).status_code == 200  # known error, touching client A
    assert p.client_b.get(url).status_code == 404
    assert p.client_a.post(f"{url}edit/", {"title": "x", "state": "open"}).status_code == 404
