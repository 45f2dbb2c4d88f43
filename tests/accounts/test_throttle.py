"""Sign-in and API-token throttling with real requests (Django test client)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings

from opsdesk.core.models import AuditEvent
from tests import factories as f

PASSWORD = "correct horse battery staple"
LIMIT = 5  # the default OPSDESK_LOGIN_FAILURE_LIMIT


def login(client: HttpClient, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: HttpClient) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_n_failures_then_the_right_password_is_refused_with_the_message():
    f.make_user("service_desk", username="alice")
    client = HttpClient()
    for _ in range(LIMIT - 1):
        response = login(client, "alice", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = login(client, "alice", "wrong")  # the failure that reaches the limit
    assert response.status_code == 429
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert 'id="lockout"' in body and "Too many failed sign-in attempts" in body
    assert "Try again in 15 minutes" in body and "UTC" in body
    assert 850 <= int(response["Retry-After"]) <= 900
    assert AuditEvent.objects.filter(action="auth.lockout", actor_label="alice", address="10.0.0.1").count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label="alice").count() == LIMIT + 1
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.django_db
def test_after_the_window_the_right_password_works():
    f.make_user("service_desk", username="bob")
    client = HttpClient()
    with override_settings(AXES_COOLOFF_TIME=dt.timedelta(seconds=2)):
        for _ in range(LIMIT):
            login(client, "bob", "wrong")
        assert login(client, "bob", PASSWORD).status_code == 429
        time.sleep(2.2)
        response = login(client, "bob", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor_label == "bob" and event.address == "10.0.0.1"


@pytest.mark.django_db
def test_per_username_locking_across_addresses():
    f.make_user("service_desk", username="carol")
    for i in range(LIMIT):
        login(HttpClient(), "carol", "wrong", address=f"10.1.0.{i + 1}")
    client = HttpClient()
    assert login(client, "carol", PASSWORD, address="10.1.0.99").status_code == 429
    assert not signed_in(client)


@pytest.mark.django_db
def test_per_address_locking_across_usernames():
    f.make_user("service_desk", username="dave")
    for i in range(LIMIT):
        login(HttpClient(), f"guess{i}", "wrong", address="10.2.0.7")
    client = HttpClient()
    assert login(client, "dave", PASSWORD, address="10.2.0.7").status_code == 429
    assert not signed_in(client)
    # Another address is not affected.
    other = HttpClient()
    assert login(other, "dave", PASSWORD, address="10.2.0.8").status_code == 302


@pytest.mark.django_db
def test_unknown_and_known_usernames_get_the_same_answers():
    f.make_user("service_desk", username="erin")
    known, unknown = HttpClient(), HttpClient()
    answers = []
    for client, name, address in ((known, "erin", "10.3.0.1"), (unknown, "nobody-here", "10.3.0.2")):
        seen = []
        for _ in range(LIMIT + 1):
            response = login(client, name, "wrong", address=address)
            text = response.content.decode().replace(name, "NAME")
            seen.append((response.status_code, text.split("<main", 1)[-1]))
        answers.append(seen)
    assert [s for s, _ in answers[0]] == [s for s, _ in answers[1]] == [200] * (LIMIT - 1) + [429, 429]
    strip = lambda t: __import__("re").sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", t)  # noqa: E731
    assert [strip(t) for _, t in answers[0]] == [strip(t) for _, t in answers[1]]


@pytest.mark.django_db
def test_forwarded_for_is_used_only_when_proxies_are_trusted():
    f.make_user("service_desk", username="frank")
    # Untrusted: X-Forwarded-For is ignored, every attempt is REMOTE_ADDR's.
    for i in range(LIMIT):
        HttpClient().post("/login/", {"username": f"x{i}", "password": "w"}, REMOTE_ADDR="10.4.0.1", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.4.0.1"}
    AccessAttempt.objects.all().delete()
    with override_settings(OPSDESK_TRUSTED_PROXIES=1):
        HttpClient().post("/login/", {"username": "frank", "password": "w"}, REMOTE_ADDR="10.4.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
    assert AuditEvent.objects.filter(action="auth.login_failed", address="203.0.113.9").exists()


@pytest.mark.django_db
def test_unlock_command_clears_a_username_and_an_address(capsys):
    f.make_user("service_desk", username="gina")
    for _ in range(LIMIT):
        login(HttpClient(), "gina", "wrong", address="10.5.0.1")
    call_command("unlock", "gina")
    # The address is still locked (its failures were gina's too, and are cleared with her name);
    client = HttpClient()
    assert login(client, "gina", PASSWORD, address="10.5.0.2").status_code == 302
    for i in range(LIMIT):
        login(HttpClient(), f"z{i}", "wrong", address="10.5.0.3")
    assert login(HttpClient(), "gina", PASSWORD, address="10.5.0.3").status_code == 429
    call_command("unlock", "--address", "10.5.0.3")
    assert login(HttpClient(), "gina", PASSWORD, address="10.5.0.3").status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlock").count() == 2


# -- API tokens ---------------------------------------------------------------------------------


def bearer(token: str, address: str = "10.9.0.1", path: str = "/api/v1/users/me"):
    return HttpClient().get(path, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)


@pytest.mark.django_db
def test_token_failures_per_address_become_429_with_retry_after():
    user = f.make_user("service_desk")
    good = f.make_token(user)
    for i in range(LIMIT - 1):
        assert bearer(f"odk_bad{i}xxxxxxxxxxxxxxxx").status_code == 401
    response = bearer("odk_badlastxxxxxxxxxxxxx")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429 and "try again in" in response.json()["detail"]
    assert 850 <= int(response["Retry-After"]) <= 900
    # The address stays refused, a valid token included; another address is served.
    assert bearer(good).status_code == 429
    assert bearer(good, address="10.9.0.2").status_code == 200
    assert AuditEvent.objects.filter(action="auth.token_failed", address="10.9.0.1").count() == LIMIT
    assert AuditEvent.objects.filter(action="auth.lockout", address="10.9.0.1").count() == 1


@pytest.mark.django_db
def test_token_failures_per_prefix_across_addresses():
    prefix = "odk_Zz9Yy8"
    for i in range(LIMIT):
        bearer(prefix + f"guess{i}", address=f"10.8.0.{i + 1}")
    response = bearer(prefix + "another", address="10.8.0.99")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="auth.lockout", target=f"token:{prefix}").count() == 1


@pytest.mark.django_db
def test_calendar_feed_token_failures_become_429():
    site = f.make_site()
    for i in range(LIMIT):
        HttpClient().get(f"/api/v1/calendars/windows.ics?site={site.pk}&token=odk_cal{i}xxxxxxxxx", REMOTE_ADDR="10.7.0.1")
    response = HttpClient().get(f"/api/v1/calendars/windows.ics?site={site.pk}&token=odk_calokxxxxxxx", REMOTE_ADDR="10.7.0.1")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    response = HttpClient().get("/dispatch/engineers/1/schedule.ics?token=odk_calokxxxxxxx", REMOTE_ADDR="10.7.0.1")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
