"""One-click links: work once, expire, refuse forgeries, acknowledge without a login, GET changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from opsdesk.core import clock
from opsdesk.incidents.models import Incident
from opsdesk.paging import links
from opsdesk.paging.models import Escalation, Page
from tests import factories as f

from .helpers import T0, make_policy, open_incident, person

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def paged() -> tuple[Incident, object]:
    alice, bob = f.make_user("engineer", username="alice"), f.make_user("engineer", username="bob")
    make_policy(person(alice, wait=5), person(bob))
    incident = open_incident(f.make_user("incident_commander"))
    return incident, alice


def test_get_changes_nothing_and_post_acknowledges_once_without_login(paged) -> None:
    incident, alice = paged
    url = path_of(links.action_url(incident, "acknowledge", alice))
    http = HttpClient()
    page = http.get(url)
    assert page.status_code == 200 and b"acknowledge" in page.content and b"<form method=\"post\"" in page.content
    assert Incident.objects.get(pk=incident.pk).state == "triggered"
    done = http.post(url)
    assert done.status_code == 200, done.content
    assert Incident.objects.get(pk=incident.pk).state == "acknowledged"
    esc = Escalation.objects.get()
    assert esc.state == "acknowledged" and esc.stopped_by == alice
    again = http.post(url)
    assert again.status_code == 409 and b"already used" in again.content
    assert http.get(url).status_code == 409


def test_expired_link_is_refused(paged, settings) -> None:
    incident, alice = paged
    url = path_of(links.action_url(incident, "acknowledge", alice))
    settings.OPSDESK_PAGING_LINK_MAX_AGE = -1  # any age is too old
    response = HttpClient().post(url)
    assert response.status_code == 400 and b"expired" in response.content
    assert Incident.objects.get(pk=incident.pk).state == "triggered"
    settings.OPSDESK_PAGING_LINK_MAX_AGE = 3600
    assert HttpClient().post(url).status_code == 200


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + "xx", lambda t: "nonsense", lambda t: t.replace(":", ":A", 1)])
def test_forged_link_is_refused(paged, tamper) -> None:
    incident, alice = paged
    url = path_of(links.action_url(incident, "acknowledge", alice))
    token = url.rstrip("/").rsplit("/", 1)[1]
    response = HttpClient().post(f"/paging/a/{tamper(token)}/")
    assert response.status_code == 400
    assert Incident.objects.get(pk=incident.pk).state == "triggered"


def test_escalate_link_runs_the_next_step(paged) -> None:
    incident, alice = paged
    from opsdesk.paging import services

    with clock.frozen(T0):
        services.advance_due(T0)
    url = path_of(links.action_url(incident, "escalate", alice))
    with clock.frozen(T0 + dt.timedelta(minutes=1)):
        assert HttpClient().post(url).status_code == 200
    assert sorted(Page.objects.values_list("position", flat=True)) == [0, 1]


def test_open_and_resolve_redirect_to_the_incident(paged) -> None:
    incident, alice = paged
    for action in ("open", "resolve"):
        response = HttpClient().get(path_of(links.action_url(incident, action, alice)))
        assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"


def test_every_email_carries_the_actions(paged) -> None:
    from django.core import mail

    from opsdesk.paging import services

    with clock.frozen(T0):
        services.advance_due(T0)
        services.send_due(T0)
    body = mail.outbox[0].body
    assert all(word in body for word in ("Acknowledge: http", "Escalate: http", "Resolve: http", "Open: http"))
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<paging.")


def test_escalation_page_shows_steps_and_buttons(paged) -> None:
    incident, _ = paged
    http = HttpClient()
    http.force_login(f.make_user("incident_commander"))
    response = http.get(f"/paging/incidents/{incident.pk}/")
    assert response.status_code == 200 and b"Acknowledge" in response.content
    assert http.post(f"/paging/incidents/{incident.pk}/acknowledge/").status_code == 302
    assert Escalation.objects.get().state == "acknowledged"
    for url in ("/paging/policies/", "/paging/policies/new/", "/paging/me/"):
        assert http.get(url).status_code == 200, url
