"""Write endpoints answer what they did: a 500 after the work is committed loses what the caller
needed (a one-time key) and invites a duplicate on retry. Issue 16's defects, one test each."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from opsdesk.accounts.models import ApiToken
from opsdesk.alerts.models import Integration
from tests import factories as f
from tests.alerts import factories as af

pytestmark = pytest.mark.django_db


def test_creating_an_integration_answers_it_with_its_key_once(admin_api, anon_api):
    client = f.make_client()
    r = admin_api.post("integrations", {"name": "x", "kind": "alertmanager", "client": client.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["client"] == client.pk and body["rules"] == [] and body["key"].startswith(body["key_prefix"])
    assert body["url"] == "/api/v1/integrations/alertmanager/<key>"
    assert Integration.objects.count() == 1
    delivery = anon_api.post(f"/api/v1/integrations/alertmanager/{body['key']}", af.alertmanager())
    assert delivery.status_code == 202, delivery.content


def test_a_signed_integration_answers_its_signing_secret(admin_api):
    client = f.make_client()
    r = admin_api.post("integrations", {"name": "g", "kind": "grafana", "client": client.pk,
                                        "signature_header": af.SIGNATURE_HEADER})
    assert r.status_code == 201, r.content
    assert r.json()["signing_secret"]


def test_rotating_a_key_answers_the_new_key(admin_api, anon_api):
    integration, old = af.make_integration("alertmanager")
    r = admin_api.post(f"integrations/{integration.pk}/rotate-key")
    assert r.status_code == 200, r.content
    new = r.json()["key"]
    assert new != old and r.json()["client"] == integration.client_id
    assert anon_api.post(f"/api/v1/integrations/alertmanager/{new}", af.alertmanager()).status_code == 202
    assert anon_api.post(f"/api/v1/integrations/alertmanager/{old}", af.alertmanager()).status_code == 404


def test_a_failure_while_answering_a_write_changes_nothing(admin_api, monkeypatch):
    """The answer is built inside the write's transaction: a 500 there rolls the write back."""
    from opsdesk.alerts import api as alerts_api

    def broken(*args, **kwargs):
        raise RuntimeError("answer could not be built")

    monkeypatch.setattr(alerts_api, "_with_key", broken)
    client = f.make_client()
    r = admin_api.post("integrations", {"name": "x", "kind": "alertmanager", "client": client.pk})
    assert r.status_code == 500
    assert r["Content-Type"] == "application/problem+json"
    assert not Integration.objects.exists()


def _session(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_a_browser_session_can_issue_and_revoke_its_own_token():
    user = f.make_user("service_desk")
    http = _session(user)
    r = http.post("/api/v1/tokens", {"name": "laptop", "scopes": ["read"]}, content_type="application/json")
    assert r.status_code == 201, r.content
    token = ApiToken.objects.get(pk=r.json()["id"])
    assert token.user_id == user.pk and r.json()["token"].startswith(token.prefix)
    assert http.delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_browser_session_writes_like_a_token():
    """Session-authenticated writes get the User itself, not Django's lazy proxy."""
    admin = f.make_user("admin")
    http = _session(admin)
    assert http.get("/api/v1/users/me").json()["id"] == admin.pk
    r = http.post("/api/v1/regions", {"code": "EMEA", "name": "Europe"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert http.get(f"/api/v1/regions/{r.json()['id']}/timeline").json()["items"][0]["actor"] == admin.username
