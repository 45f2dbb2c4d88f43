"""The postmortems and action items list pages: their rows and counts, filters, htmx rows, the
incidents area's navigation, escaping, bad query parameters, and what client users may see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock
from tests import factories as f
from tests.incidents.factories import make_incident
from tests.learning.factories import make_action, make_postmortem

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'
PM_URL = "/incidents/postmortems/"
ACTIONS_URL = "/incidents/actions/"


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def row_ids(html: str, kind: str) -> list[int]:
    """The ids of the list's rows (data-postmortem / data-action), in page order."""
    return [int(i) for i in re.findall(rf'<tr data-{kind}="(\d+)"', html)]


def row(html: str, kind: str, pk: int) -> str:
    """One row's markup."""
    match = re.search(rf'<tr data-{kind}="{pk}".*?</tr>', html, re.S)
    assert match, f"no {kind} row {pk}"
    return match.group(0)


@pytest.fixture
def w():
    """Client A: a published postmortem (four actions) and a draft; client B: a published one."""
    today = clock.today_utc()
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    svc_a, svc_b = f.make_service(a, name="Records"), f.make_service(b, name="Payments")
    commander = f.make_user("incident_commander", password=None, first_name="Ines", last_name="Commander")
    engineer = f.make_user("engineer", password=None, first_name="Eli", last_name="Engineer")
    inc_a = make_incident(services=[svc_a], owner=commander, title=f"Records slow {XSS}")
    inc_a2 = make_incident(services=[svc_a], owner=commander, title="Records login loop")
    inc_b = make_incident(services=[svc_b], owner=commander, title="Beta payments down")
    pm_a = make_postmortem(inc_a, state="published", summary=f"Pool exhausted {XSS}")
    draft_a = make_postmortem(inc_a2, summary="Login loop after deploy")
    pm_b = make_postmortem(inc_b, state="published", summary="Card processor timeouts")
    late = make_action(pm_a, due_on=today - dt.timedelta(days=3), title=f"Grow the pool {XSS}")
    soon = make_action(pm_a, due_on=today + dt.timedelta(days=2), title="Alert on pool use", owner=engineer,
                       state="in_progress")
    done = make_action(pm_a, due_on=today - dt.timedelta(days=10), title="Restart runbook", state="done",
                       done_at=clock.now())
    dropped = make_action(pm_a, due_on=today - dt.timedelta(days=5), title="Rewrite in Rust", state="wont_do")
    later = make_action(draft_a, due_on=today + dt.timedelta(days=1), title="Fix the login redirect", owner=engineer)
    earliest = make_action(draft_a, due_on=today - dt.timedelta(days=1), title="Roll back the deploy")
    beta = make_action(pm_b, due_on=today - dt.timedelta(days=20), title="Beta retry budget")
    out = {k: v for k, v in locals().items() if k not in ("a", "b")}
    out.update(client_a=a, client_b=b, staff=login(commander), eng=login(engineer),
               user_a=login(f.make_user("client", client=a, password=None)),
               user_b=login(f.make_user("client", client=b, password=None)))
    return type("W", (), out)


# -- postmortems -----------------------------------------------------------------------------------


def test_postmortem_list_shows_every_readable_postmortem_newest_first_with_action_counts(w):
    html = html_of(w.staff.get(PM_URL))
    assert row_ids(html, "postmortem") == [w.pm_b.pk, w.draft_a.pk, w.pm_a.pk]
    r = row(html, "postmortem", w.pm_a.pk)
    assert f'href="/incidents/{w.inc_a.pk}/"' in r and f"INC-{w.inc_a.pk}" in r
    assert f'href="/incidents/postmortems/{w.pm_a.pk}/"' in r and "Published" in r
    assert "Ines Commander" in r
    # open counts open and in progress; done only done (won't do is neither); one is past due
    assert '<td class="num" data-testid="open-actions">2 <span' in r
    assert '<span class="badge badge-danger" data-testid="overdue-actions">1 overdue</span>' in r
    assert '<td class="num" data-testid="done-actions">1</td>' in r
    r = row(html, "postmortem", w.draft_a.pk)
    assert "Draft" in r and 'data-testid="open-actions">2 <span' in r and 'data-testid="done-actions">0<' in r
    assert '<th scope="col">Incident</th>' in html


def test_postmortem_list_counts_in_the_query_not_per_row(w, django_assert_max_num_queries):
    for _ in range(15):
        pm = make_postmortem(make_incident(services=[w.svc_a]))
        make_action(pm, due_on=clock.today_utc())
    w.staff.get(PM_URL)  # warm the session and content types
    with django_assert_max_num_queries(8):
        html = html_of(w.staff.get(PM_URL))
    assert len(row_ids(html, "postmortem")) == 18


def test_postmortem_list_filters_by_state_and_words(w):
    html = html_of(w.staff.get(PM_URL, {"state": "draft"}))
    assert row_ids(html, "postmortem") == [w.draft_a.pk]
    assert '<option value="draft" selected>' in html
    html = html_of(w.staff.get(PM_URL, {"q": "login LOOP"}))  # the incident's title
    assert row_ids(html, "postmortem") == [w.draft_a.pk]
    html = html_of(w.staff.get(PM_URL, {"q": "processor"}))  # the summary
    assert row_ids(html, "postmortem") == [w.pm_b.pk]
    html = html_of(w.staff.get(PM_URL, {"q": "nothing like this"}))
    assert row_ids(html, "postmortem") == [] and "No postmortems match these filters." in html


def test_postmortem_list_htmx_filter_returns_the_rows_only(w):
    rows = html_of(w.staff.get(PM_URL, {"state": "published"}, HTTP_HX_REQUEST="true"))
    assert 'data-testid="postmortem-rows"' in rows and "<html" not in rows and "<form" not in rows
    assert row_ids(rows, "postmortem") == [w.pm_b.pk, w.pm_a.pk]
    full = html_of(w.staff.get(PM_URL))
    assert "<html" in full and 'hx-get="/incidents/postmortems/"' in full and 'for="f-state"' in full


# -- action items ----------------------------------------------------------------------------------


def test_action_list_shows_open_actions_overdue_first_then_by_due_day(w):
    html = html_of(w.staff.get(ACTIONS_URL))
    # overdue (open, past due) first, oldest due first; then the rest by due day; done/won't do hidden
    assert row_ids(html, "action") == [w.beta.pk, w.late.pk, w.earliest.pk, w.later.pk, w.soon.pk]
    r = row(html, "action", w.late.pk)
    assert 'data-overdue="true"' in r and '<span class="badge badge-danger">Overdue</span>' in r
    assert f'href="/incidents/postmortems/{w.pm_a.pk}/#actions"' in r and f"INC-{w.inc_a.pk}" in r
    assert (w.today - dt.timedelta(days=3)).isoformat() in r
    r = row(html, "action", w.soon.pk)
    assert "Overdue" not in r and "Eli Engineer" in r and "In progress" in r
    assert '<option value="open" selected>' in html and '<th scope="col">Due</th>' in html


def test_action_list_state_filter(w):
    html = html_of(w.staff.get(ACTIONS_URL, {"state": "done"}))
    assert row_ids(html, "action") == [w.done.pk] and "Overdue" not in row(html, "action", w.done.pk)
    assert row_ids(html_of(w.staff.get(ACTIONS_URL, {"state": "wont_do"})), "action") == [w.dropped.pk]
    html = html_of(w.staff.get(ACTIONS_URL, {"state": "all"}))
    # past-due but closed actions are not overdue: they sort by due day after the overdue ones
    assert row_ids(html, "action") == [w.beta.pk, w.late.pk, w.earliest.pk, w.done.pk, w.dropped.pk,
                                       w.later.pk, w.soon.pk]


def test_action_list_mine_and_overdue_filters(w):
    html = html_of(w.eng.get(ACTIONS_URL, {"mine": "1"}))
    assert row_ids(html, "action") == [w.later.pk, w.soon.pk]
    assert 'id="f-mine" type="checkbox" name="mine" value="1" checked' in html
    assert row_ids(html_of(w.staff.get(ACTIONS_URL, {"mine": "1"})), "action") == [w.beta.pk, w.late.pk, w.earliest.pk]
    assert row_ids(html_of(w.eng.get(ACTIONS_URL, {"overdue": "1"})), "action") == [w.beta.pk, w.late.pk, w.earliest.pk]
    assert row_ids(html_of(w.eng.get(ACTIONS_URL, {"mine": "1", "overdue": "1"})), "action") == []
    # closed actions past their due day are not overdue
    html = html_of(w.staff.get(ACTIONS_URL, {"overdue": "1", "state": "all"}))
    assert row_ids(html, "action") == [w.beta.pk, w.late.pk, w.earliest.pk]
    assert 'for="f-overdue"' in html and 'for="f-mine"' in html


def test_action_list_htmx_filter_returns_the_rows_only(w):
    rows = html_of(w.staff.get(ACTIONS_URL, {"state": "done"}, HTTP_HX_REQUEST="true"))
    assert 'data-testid="action-rows"' in rows and "<html" not in rows and "<form" not in rows
    assert row_ids(rows, "action") == [w.done.pk]


def test_action_list_queries_are_bounded(w, django_assert_max_num_queries):
    for i in range(15):
        pm = make_postmortem(make_incident(services=[w.svc_a]))
        make_action(pm, due_on=clock.today_utc() - dt.timedelta(days=i), owner=f.make_user("engineer", password=None))
    w.staff.get(ACTIONS_URL)
    with django_assert_max_num_queries(8):
        html = html_of(w.staff.get(ACTIONS_URL))
    assert len(row_ids(html, "action")) == 20


# -- both ------------------------------------------------------------------------------------------


def test_client_users_see_only_published_postmortems_and_actions_of_their_own_incidents(w):
    html = html_of(w.user_a.get(PM_URL))
    assert row_ids(html, "postmortem") == [w.pm_a.pk]
    assert "Beta payments down" not in html and "Login loop" not in html
    assert '<option value="draft"' not in html and 'aria-label="Incidents area"' not in html
    assert row_ids(html_of(w.user_a.get(PM_URL, {"state": "draft"})), "postmortem") == [w.pm_a.pk]  # ignored
    html = html_of(w.user_a.get(ACTIONS_URL, {"state": "all"}))
    assert sorted(row_ids(html, "action")) == sorted([w.late.pk, w.soon.pk, w.done.pk, w.dropped.pk])
    assert "Beta retry budget" not in html and "login redirect" not in html and 'name="mine"' not in html
    html = html_of(w.user_b.get(ACTIONS_URL, {"state": "all"}))
    assert row_ids(html, "action") == [w.beta.pk] and "Grow the pool" not in html
    html = html_of(w.user_b.get(PM_URL, {"q": "Records"}))
    assert row_ids(html, "postmortem") == [] and "Pool exhausted" not in html


def test_user_text_is_escaped(w):
    html = html_of(w.staff.get(PM_URL))
    assert XSS not in html
    assert "Records slow &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Pool exhausted &lt;script&gt;" in html
    html = html_of(w.staff.get(ACTIONS_URL))
    assert XSS not in html and "Grow the pool &lt;script&gt;" in html and "Records slow &lt;script&gt;" in html
    html = html_of(w.staff.get(PM_URL, {"q": XSS}))
    assert XSS not in html and 'value="&lt;script&gt;' in html


@pytest.mark.parametrize("url", [PM_URL, ACTIONS_URL])
@pytest.mark.parametrize("params", [
    {"state": "garbage"}, {"state": "open,done"}, {"page": "9" * 30}, {"page": "-1"}, {"page": "x"},
    {"mine": "9" * 30}, {"overdue": "perhaps"}, {"q": "x" * 10_000}, {"q": "%00\x00"}, {"state": "\x00"},
])
def test_bad_query_parameters_are_ignored_never_an_error(w, url, params):
    assert w.staff.get(url, params).status_code == 200
    assert w.user_a.get(url, params).status_code == 200


def test_unknown_state_is_ignored(w):
    assert row_ids(html_of(w.staff.get(PM_URL, {"state": "garbage"})), "postmortem") == [
        w.pm_b.pk, w.draft_a.pk, w.pm_a.pk]
    assert row_ids(html_of(w.staff.get(ACTIONS_URL, {"state": "garbage"})), "action") == row_ids(
        html_of(w.staff.get(ACTIONS_URL)), "action")


def test_the_lists_are_get_only_and_need_sign_in(w):
    assert w.staff.post(PM_URL).status_code == 405
    assert w.staff.post(ACTIONS_URL).status_code == 405
    for url in (PM_URL, ACTIONS_URL):
        r = HttpClient().get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("url", "current"), [
    (PM_URL, "Postmortems"), (ACTIONS_URL, "Actions"), ("/incidents/problems/", "Problems"), ("/incidents/", "Incidents"),
])
def test_subnav_links_to_the_learning_pages_and_marks_the_current_one(w, url, current):
    html = html_of(w.staff.get(url))
    nav = re.search(r'<nav aria-label="Incidents area">.*?</nav>', html, re.S)
    assert nav
    links = dict((text, attrs) for attrs, text in re.findall(r"<a ([^>]*)>([^<]+)</a>", nav.group(0)))
    assert 'href="/incidents/postmortems/"' in links["Postmortems"]
    assert 'href="/incidents/actions/"' in links["Actions"]
    assert 'href="/incidents/problems/"' in links["Problems"]
    assert [text for text, attrs in links.items() if 'aria-current="page"' in attrs] == [current]
