"""The operator commands: createuser, token create/list/revoke, check."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient

from opsdesk.accounts.models import ApiToken, User
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def get_regions(token: str):
    return HttpClient().get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_token_create_prints_only_a_token_that_authenticates():
    user = f.make_user("dispatcher", username="dana")
    f.make_region(code="EMEA")
    out = run("token", "create", "dana", "--scope", "read", "--name", "laptop")
    assert out.endswith("\n") and out.count("\n") == 1
    raw = out.strip()
    assert raw.startswith("odk_") and " " not in raw
    response = get_regions(raw)
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["items"]] == ["EMEA"]
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.scopes) == ("laptop", ["read"])
    assert raw.startswith(token.prefix)


def test_token_revoke_stops_the_token_at_once():
    f.make_user("admin", username="root")
    raw = run("token", "create", "root").strip()
    assert get_regions(raw).status_code == 200
    token = ApiToken.objects.get(user__username="root")
    assert token.scopes == ["read", "write"]
    assert "revoked" in run("token", "revoke", str(token.pk))
    assert get_regions(raw).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    listing = run("token", "list", "root")
    assert token.prefix in listing and "UTC" in listing
    with pytest.raises(CommandError, match="No API token with id 999999"):
        run("token", "revoke", "999999")


def test_token_for_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="no user 'ghost'"):
        run("token", "create", "ghost")


def test_createuser_creates_a_client_user_who_can_sign_in():
    client = f.make_client(code="acme")
    out = run(
        "createuser",
        "alice",
        "--role",
        "client",
        "--client",
        "acme",
        "--email",
        "alice@example.test",
        "--password",
        "Kettle-Paper-Lantern-42",
    )
    assert "Created user alice" in out
    user = User.objects.get(username="alice")
    assert (user.role, user.client, user.email) == ("client", client, "alice@example.test")
    assert user.check_password("Kettle-Paper-Lantern-42")
    assert HttpClient().login(username="alice", password="Kettle-Paper-Lantern-42")


def test_createuser_without_password():
    run("createuser", "robot", "--role", "engineer", "--no-password")
    assert not User.objects.get(username="robot").has_usable_password()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard", "--no-password"], "unknown role 'wizard'"),
        (["--role", "client", "--client", "nope", "--no-password"], "unknown client 'nope'"),
        (["--role", "client", "--no-password"], "must belong to a client"),
        (["--role", "engineer", "--password", "short"], "password"),
        (["--role", "engineer"], "--password or --no-password"),
    ],
)
def test_createuser_refuses_bad_input_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("createuser", "bob", *args)
    assert not User.objects.filter(username="bob").exists()


def test_createuser_refuses_a_taken_username():
    f.make_user("engineer", username="eve")
    with pytest.raises(CommandError, match="'eve' is taken"):
        run("createuser", "eve", "--role", "engineer", "--no-password")


def test_check_passes_with_the_database_checks():
    out = run("check", "--database", "default")
    assert "no issues" in out
