"""The audit log: each hooked event at its source (actor, address, before/after), append-only,
admins only on the page, the API and the admin; the CLI export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import audit, clock
from opsdesk.core.models import AuditEvent, AuditImmutable
from tests import factories as f
from tests.alerts.factories import make_integration
from tests.conftest import Api
from tests.workorders import builders

ADDR = "192.0.2.10"


def api(user, address: str = ADDR) -> Api:
    client = Api(f.make_token(user))
    client.headers["REMOTE_ADDR"] = address
    return client


def only(action: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(action=action)
    return event


@pytest.mark.django_db
def test_sign_in_success_and_failure_are_recorded_with_the_address():
    f.make_user("service_desk", username="hana")
    http = HttpClient()
    http.post("/login/", {"username": "hana", "password": "nope"}, REMOTE_ADDR=ADDR)
    http.post("/login/", {"username": "hana", "password": "correct horse battery staple"}, REMOTE_ADDR=ADDR)
    failed, ok = only("auth.login_failed"), only("auth.login")
    assert (failed.actor_label, failed.address, failed.actor_id) == ("hana", ADDR, None)
    assert (ok.actor_label, ok.address) == ("hana", ADDR) and ok.actor is not None
    assert ok.at.tzinfo is not None and ok.at.utcoffset().total_seconds() == 0


@pytest.mark.django_db
def test_token_created_and_revoked_through_the_api():
    user = f.make_user("service_desk", username="ivan")
    client = api(user)
    created = client.post("tokens", {"name": "ci", "scopes": ["read"]})
    assert created.status_code == 201
    # The fixture's own token was created outside a request (no address); the API's has one.
    event = AuditEvent.objects.filter(action="token.created", address=ADDR).get()
    assert event.actor_label == "ivan" and event.after["scopes"] == ["read"] and event.after["name"] == "ci"
    assert event.target == f"token:{created.json()['prefix']}"
    assert client.delete(f"tokens/{created.json()['id']}").status_code == 204
    revoked = only("token.revoked")
    assert revoked.actor_label == "ivan" and revoked.address == ADDR
    assert revoked.before == {"revoked_at": None} and revoked.after["revoked_at"]


@pytest.mark.django_db
def test_integration_key_rotated():
    admin = f.make_user("admin", username="root1")
    integration, _ = make_integration()
    old = integration.key_prefix
    http = HttpClient()
    http.force_login(admin)
    # The page's button (the API's rotate-key answer is being fixed elsewhere; same service).
    assert http.post(reverse("alerts:rotate-key", args=[integration.pk]), REMOTE_ADDR=ADDR).status_code == 302
    event = only("integration.key_rotated")
    integration.refresh_from_db()
    assert (event.actor_label, event.address, event.target) == ("root1", ADDR, f"integration:{integration.pk}")
    assert event.before == {"key_prefix": old} and event.after == {"key_prefix": integration.key_prefix}


@pytest.mark.django_db
def test_role_or_client_changed_in_the_admin():
    admin = f.make_user("admin", username="root2")
    client = f.make_client()
    user = f.make_user("service_desk", username="jo")
    http = HttpClient()
    http.force_login(admin)
    page = http.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data = {
        "username": "jo", "email": user.email, "first_name": "", "last_name": "", "is_active": "on",
        "role": "client", "client": str(client.pk), "time_zone": "UTC",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00",
    }
    assert form  # the form is there
    response = http.post(f"/admin/accounts/user/{user.pk}/change/", data, REMOTE_ADDR=ADDR)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = only("user.role_changed")
    assert (event.actor_label, event.address, event.target) == ("root2", ADDR, f"user:{user.pk}")
    assert event.before == {"role": "service_desk", "client_id": None}
    assert event.after == {"role": "client", "client_id": client.pk}


@pytest.mark.django_db
def test_user_created_through_the_api():
    admin = f.make_user("admin", username="root6")
    client = f.make_client()
    r = api(admin).post("users", {"username": "newc", "role": "client", "client": client.pk, "password": "a long enough pass phrase"})
    assert r.status_code == 201
    event = AuditEvent.objects.get(action="user.created", target=f"user:{r.json()['id']}")
    assert (event.actor_label, event.address) == ("root6", ADDR)
    assert event.after["role"] == "client" and event.after["client_id"] == client.pk


@pytest.mark.django_db
def test_user_deactivated_through_the_api():
    admin = f.make_user("admin", username="root3")
    user = f.make_user("service_desk")
    assert api(admin).patch(f"users/{user.pk}", {"is_active": False}).status_code == 200
    event = only("user.role_changed")
    assert event.before == {"is_active": True} and event.after == {"is_active": False}
    assert event.actor_label == "root3" and event.address == ADDR


@pytest.mark.django_db
def test_permission_denied_on_a_write_api_and_page():
    desk = f.make_user("service_desk", username="kim")
    assert api(desk).post("users", {"username": "x", "role": "engineer"}).status_code == 403
    event = only("permission.denied")
    assert (event.actor_label, event.address, event.target) == ("kim", ADDR, "POST /api/v1/users")
    assert "users.write" in event.detail["reason"] and event.detail["role"] == "service_desk"
    # A refused read is not a write: not audited.
    assert api(desk).get("audit-events").status_code == 404
    assert AuditEvent.objects.filter(action="permission.denied").count() == 1


@pytest.mark.django_db
def test_sla_policy_created_and_changed():
    admin = f.make_user("admin", username="root4")
    client = api(admin)
    created = client.post("sla/policies", {"name": "P1", "applies_to": "work_order", "level": "p1",
                                           "response_minutes": 30, "resolution_minutes": 240})
    assert created.status_code == 201
    made = only("sla_policy.created")
    assert made.after["response_minutes"] == 30 and made.address == ADDR
    assert client.patch(f"sla/policies/{created.json()['id']}", {"response_minutes": 15}).status_code == 200
    changed = only("sla_policy.changed")
    assert changed.before == {"response_minutes": 30} and changed.after == {"response_minutes": 15}
    assert (changed.actor_label, changed.target) == ("root4", f"slapolicy:{created.json()['id']}")


@pytest.mark.django_db
def test_readiness_blocker_override():
    w = builders.world()
    wo = builders.make(w, "readiness")
    dispatch = api(w["dispatcher"])
    with clock.frozen(builders.NOW):
        [blocker] = dispatch.get(f"work-orders/{wo.pk}/readiness").json()["blockers"]
        r = dispatch.post(f"work-orders/{wo.pk}/overrides", {"blocker": blocker["key"], "reason": "Phoned security"})
    assert r.status_code == 201
    event = only("readiness.override")
    assert event.actor_label == w["dispatcher"].username and event.address == ADDR
    assert event.target == f"workorder:{wo.pk}"
    assert event.before["blocker"] == blocker["key"] and event.before["overridden"] is False
    assert event.after == {"overridden": True, "reason": "Phoned security"}


@pytest.mark.django_db
def test_append_only():
    event = audit.record_audit("auth.login", actor="someone", address=ADDR, detail={"x": 1})
    event.action = "auth.logout"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_trigger_refuses_raw_update_and_delete():
    event = audit.record_audit("auth.login", actor="someone")
    for sql in ("UPDATE core_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


@pytest.mark.django_db
def test_admin_is_read_only():
    admin = f.make_user("admin")
    event = audit.record_audit("auth.login", actor="someone")
    http = HttpClient()
    http.force_login(admin)
    assert http.get("/admin/core/auditevent/").status_code == 200
    assert http.get("/admin/core/auditevent/add/").status_code == 403
    assert http.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_page_and_api_are_for_admins_only():
    admin = f.make_user("admin", username="root5")
    audit.record_audit("auth.login", actor="someone", address=ADDR)
    audit.record_audit("token.created", actor="other", address=ADDR)
    client_user = f.make_user("client", client=f.make_client())
    for user in (client_user, f.make_user("service_desk"), f.make_user("dispatcher")):
        http = HttpClient()
        http.force_login(user)
        assert http.get("/audit/").status_code == 404
        assert api(user).get("audit-events").status_code == 404
    assert HttpClient().get("/audit/").status_code == 302  # to sign in
    http = HttpClient()
    http.force_login(admin)
    page = http.get("/audit/", {"action": "auth.login", "actor": "someone"})
    assert page.status_code == 200
    assert [e.actor_label for e in page.context["page"].object_list] == ["someone"]
    assert ADDR in page.content.decode()
    assert "<script" not in page.content.decode().split("<main", 1)[-1] and 'style="' not in page.content.decode()
    body = api(admin).get("audit-events", actor="other").json()
    assert body["count"] == 1 and body["items"][0]["action"] == "token.created"
    assert set(body["items"][0]) == {"id", "at", "action", "actor", "address", "target", "before", "after", "detail"}
    assert body["items"][0]["address"] == ADDR


@pytest.mark.django_db
def test_api_filters_and_pagination():
    admin = f.make_user("admin")
    with clock.frozen(builders.NOW):
        audit.record_audit("auth.login", actor="early")
    for i in range(3):
        audit.record_audit("auth.login_failed", actor=f"u{i}")
    client = api(admin)
    page = client.get("audit-events", action="auth.", limit=2).json()
    assert page["count"] == 4 + 0 and len(page["items"]) == 2
    # NOW (2030) is after the real now of the others.
    since = client.get("audit-events", action="auth.", since="2030-01-01T00:00:00Z").json()
    assert [e["actor"] for e in since["items"]] == ["early"]
    until = client.get("audit-events", action="auth.", until="2030-01-01T00:00:00Z").json()
    assert [e["actor"] for e in until["items"]] == ["u2", "u1", "u0"]


@pytest.mark.django_db
def test_cli_export_csv_and_jsonl(capsys):
    audit.record_audit("auth.login", actor="ann", address=ADDR, detail={"k": "v"})
    audit.record_audit("token.revoked", actor="ben", before={"revoked_at": None}, after={"revoked_at": "2026"})
    call_command("audit", "export", "--format", "jsonl")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [x["action"] for x in lines] == ["auth.login", "token.revoked"]
    assert lines[0]["address"] == ADDR and lines[1]["before"] == {"revoked_at": None}
    call_command("audit", "export", "--since", "2000-01-01", "--action", "token.revoked")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["actor"] for r in rows] == ["ben"] and json.loads(rows[0]["after"]) == {"revoked_at": "2026"}


@pytest.mark.django_db
def test_permission_denied_on_a_page_write():
    desk = f.make_user("service_desk", username="lee")
    integration, _ = make_integration()
    http = HttpClient()
    http.force_login(desk)
    assert http.post(reverse("alerts:rotate-key", args=[integration.pk]), REMOTE_ADDR=ADDR).status_code == 403
    event = only("permission.denied")
    assert (event.actor_label, event.address) == ("lee", ADDR)
    assert event.target == f"POST /alerts/integrations/{integration.pk}/rotate-key/"
    assert "may not manage integrations" in event.detail["reason"]
    assert not AuditEvent.objects.filter(action="integration.key_rotated").exists()
