"""iCalendar feeds: token in the URL (calendar scope), tenancy, and what a calendar client parses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from icalendar import Calendar

from opsdesk.accounts import services as account_services
from opsdesk.accounts.models import User
from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock, schedule
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
UTC = dt.UTC


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def user(role: str, client=None):
    """A user without a password (hashing one costs 0.3 s; these tests sign in by token)."""
    return account_services.create_user(username=f"{role}{f.n()}", role=role, client=client, password=None)


def planned(title, *, sites, services=(), state="scheduled", start=NOW + dt.timedelta(days=3), hours=2):
    clients = {c.pk for s in sites for c in s.clients.all()} | {s.client_id for s in services}
    change = ChangeRequest.objects.create(
        title=title, window_start=start, window_end=start + dt.timedelta(hours=hours), state=state,
        owner=_owner(),
    )
    change.sites.set(sites)
    change.services.set(services)
    change.clients.set(clients)
    schedule.put(schedule.ref_for(change), kind="change", label=f"CHG-{change.pk} {title}", start_at=change.window_start,
                 end_at=change.window_end, site_ids=[s.pk for s in sites], service_ids=[s.pk for s in services],
                 state=state, client_ids=clients)
    return change


def _owner():
    return User.objects.filter(username="owner").first() or account_services.create_user(
        username="owner", role="engineer", password=None
    )


@pytest.fixture
def world():
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    site_a = f.make_site(code="lon-dc1", name="London DC1", clients=[a])
    site_b = f.make_site(code="nyc-dc1", name="New York DC1", clients=[b], time_zone="America/New_York")
    svc_a = f.make_service(a, sites=[site_a], name="EPR")
    svc_b = f.make_service(b, sites=[site_b], name="Core banking")
    return {
        "a": a, "b": b, "site_a": site_a, "site_b": site_b,
        "upgrade": planned("Upgrade EPR", sites=[site_a], services=[svc_a]),
        "patch": planned("Patch switches", sites=[site_a], state="approved", start=NOW + dt.timedelta(days=40)),
        "done": planned("Done last week", sites=[site_a], state="completed", start=NOW - dt.timedelta(days=7)),
        "old": planned("Done long ago", sites=[site_a], state="completed", start=NOW - dt.timedelta(days=60)),
        "far": planned("Next year", sites=[site_a], start=NOW + dt.timedelta(days=200)),
        "draft": planned("Only a draft", sites=[site_a], state="draft"),
        "bank": planned("Bank failover", sites=[site_b], services=[svc_b]),
        "by_service": planned("Service only", sites=[], services=[svc_a], state="implementing"),
    }


def token_for(user, scopes=("calendar",)) -> str:
    return account_services.create_token(user, scopes=list(scopes))[1]


def feed(path: str, **params):
    return HttpClient().get(f"/api/v1/calendars/{path}", params)


def events(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART"), "end": e.decoded("DTEND"), "summary": str(e["SUMMARY"]),
            "description": str(e["DESCRIPTION"]), "url": str(e.get("URL", "")), "raw_start": e["DTSTART"].to_ical(),
        }
        for e in cal.walk("VEVENT")
    }


def uid(change) -> str:
    return f"changes.changerequest:{change.pk}@opsdesk"


def test_site_feed_holds_planned_and_recent_changes_in_utc(world):
    token = token_for(user("service_desk"))
    found = events(feed("changes.ics", site=world["site_a"].pk, token=token))
    assert set(found) == {uid(world[k]) for k in ("upgrade", "patch", "done")}
    up = found[uid(world["upgrade"])]
    assert up["start"] == NOW + dt.timedelta(days=3) and up["end"] == NOW + dt.timedelta(days=3, hours=2)
    assert up["raw_start"].endswith(b"Z")
    assert up["summary"] == f"CHG-{world['upgrade'].pk} Upgrade EPR [scheduled]"
    assert "lon-dc1 · London DC1" in up["description"] and "EPR" in up["description"]
    assert up["url"] == f"http://testserver/changes/{world['upgrade'].pk}/"


def test_client_feed_reaches_changes_through_sites_and_services(world):
    token = token_for(user("client", client=world["a"]))
    found = events(feed("changes.ics", client=world["a"].pk, token=token))
    assert set(found) == {uid(world[k]) for k in ("upgrade", "patch", "done", "by_service")}
    assert "[implementing]" in found[uid(world["by_service"])]["summary"]


def test_a_read_token_works_too_and_the_uid_is_stable(world):
    token = token_for(user("service_desk"), ("read",))
    first = events(feed("changes.ics", site=world["site_b"].pk, token=token))
    again = events(feed("changes.ics", site=world["site_b"].pk, token=token))
    assert list(first) == list(again) == [uid(world["bank"])]


def test_another_clients_user_gets_404(world):
    token = token_for(user("client", client=world["a"]))
    for params in ({"site": world["site_b"].pk}, {"client": world["b"].pk}):
        r = feed("changes.ics", token=token, **params)
        assert r.status_code == 404, params
        assert r["Content-Type"] == "application/problem+json"


def test_client_user_sees_only_their_clients_changes_at_a_shared_site(world):
    shared = f.make_site(clients=[world["a"], world["b"]])
    mine = planned("Ours", sites=[shared], services=[f.make_service(world["a"])])
    planned("Theirs", sites=[], services=[f.make_service(world["b"], sites=[shared])])
    theirs_at_site = planned("Theirs at the site", sites=[shared])
    theirs_at_site.clients.set([world["b"]])
    token = token_for(user("client", client=world["a"]))
    assert set(events(feed("changes.ics", site=shared.pk, token=token))) == {uid(mine)}


@pytest.mark.parametrize("token", [None, "", "odk_not-a-token", "nonsense"])
def test_missing_or_invalid_token_is_401_problem(world, token):
    params = {"site": world["site_a"].pk}
    if token is not None:
        params["token"] = token
    r = feed("changes.ics", **params)
    assert r.status_code == 401
    assert r["Content-Type"] == "application/problem+json"
    assert "calendar" in r.json()["detail"]


def test_revoked_token_is_refused(world):
    token, raw = account_services.create_token(user("service_desk"), scopes=["calendar"])
    account_services.revoke_token(token.pk)
    assert feed("changes.ics", site=world["site_a"].pk, token=raw).status_code == 401


def test_calendar_token_opens_nothing_else(world):
    raw = token_for(user("admin"))
    r = HttpClient().get("/api/v1/sites", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 401


def test_feed_needs_exactly_one_of_site_or_client(world):
    token = token_for(user("service_desk"))
    assert feed("changes.ics", token=token).status_code == 422
    assert feed("changes.ics", token=token, site=world["site_a"].pk, client=world["a"].pk).status_code == 422
    assert feed("changes.ics", token=token, site=999999).status_code == 404


def test_windows_feed_holds_the_sites_occurrences_in_the_next_180_days(world):
    site = world["site_a"]
    ChangeWindow.objects.create(kind="window", name="Sunday maintenance", region=site.region, start_on=dt.date(2026, 1, 4),
                                start_time=dt.time(1), duration_minutes=240, rrule="FREQ=WEEKLY;BYDAY=SU")
    ChangeWindow.objects.create(kind="freeze", name="Christmas freeze", site=site, start_on=dt.date(2020, 12, 15),
                                start_time=dt.time(0), duration_minutes=21 * 1440, rrule="FREQ=YEARLY")
    ChangeWindow.objects.create(kind="freeze", name="Elsewhere", site=world["site_b"], start_on=dt.date(2026, 11, 1),
                                start_time=dt.time(0), duration_minutes=60)
    token = token_for(user("service_desk"))
    found = events(feed("windows.ics", site=site.pk, token=token))
    summaries = [e["summary"] for e in found.values()]
    assert summaries.count("Change freeze: Christmas freeze (lon-dc1)") == 1
    assert 24 <= summaries.count("Change window: Sunday maintenance (lon-dc1)") <= 27
    starts = sorted(e["start"] for e in found.values() if "Sunday" in e["summary"])
    assert starts[0] == dt.datetime(2026, 10, 25, 0, tzinfo=UTC)  # 01:00 BST, before the clocks go back
    assert starts[1] == dt.datetime(2026, 11, 1, 1, tzinfo=UTC)  # 01:00 GMT
    client_token = token_for(user("client", client=world["a"]))
    assert feed("windows.ics", site=site.pk, token=client_token).status_code == 404
