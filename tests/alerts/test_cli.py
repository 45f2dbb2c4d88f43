"""`opsdesk integration`: create with mapping rules, list, rotate the key, process now."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from opsdesk.alerts import keys
from opsdesk.alerts.models import Alert, Integration
from tests import factories as f

from .pipeline import deliver, signal

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("integration", *args, stdout=out)
    return out.getvalue()


def test_create_list_rotate_and_process() -> None:
    client = f.make_client(code="acme")
    site = f.make_site(clients=[client], code="dc2")
    service = f.make_service(client, code="epr", name="EPR")
    key = run("create", "acme", "alertmanager", "--rule", "service=epr->service:epr",
              "--rule", "instance=~dc2-.*->site:dc2", "--quiet").strip()
    integration = Integration.objects.get()
    assert integration.key_hash == keys.hash_key(key) and key not in integration.key_prefix + "x" * 60
    assert [(r.label, r.operator, r.value, r.service_id, r.site_id) for r in integration.rules.all()] == [
        ("service", "=", "epr", service.pk, None), ("instance", "=~", "dc2-.*", None, site.pk)]
    assert "acme" in run("list") and key not in run("list")
    new_key = run("rotate-key", str(integration.pk), "--quiet").strip()
    integration.refresh_from_db()
    assert new_key != key and integration.key_hash == keys.hash_key(new_key)
    deliver(integration, signal("k", labels={"service": "epr"}))
    assert "Processed 1" in run("process")
    assert Alert.objects.get().service_id == service.pk


@pytest.mark.parametrize(("args", "message"), [
    (("create", "nobody", "generic"), "no client"),
    (("create", "acme", "generic", "--rule", "nonsense"), "cannot read the rule"),
    (("create", "acme", "generic", "--rule", "a=b->service:missing"), "has no service"),
    (("create", "acme", "generic", "--rule", "a=~(->site:dc9"), "has no site"),
    (("rotate-key", "999"), "no integration"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(args: tuple[str, ...], message: str) -> None:
    f.make_client(code="acme")
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Integration.objects.exists()


def test_an_invalid_regular_expression_is_refused() -> None:
    client = f.make_client(code="acme")
    f.make_site(clients=[client], code="dc2")
    with pytest.raises(CommandError, match="regular expression"):
        run("create", "acme", "generic", "--rule", "a=~(->site:dc2")
    assert not Integration.objects.exists()


def heartbeat(*args: str) -> str:
    out = io.StringIO()
    call_command("heartbeat", *args, stdout=out)
    return out.getvalue()


def test_heartbeat_add_list_ping_and_check() -> None:
    import datetime as dt

    from opsdesk.alerts.heartbeats.models import Heartbeat
    from opsdesk.core import clock
    from tests.alerts.factories import make_integration

    client = f.make_client(code="acme")
    service = f.make_service(client, code="backups")
    integration, key = make_integration("generic", client=client)
    assert "/api/v1/heartbeats/nightly/ping" in heartbeat("add", str(integration.pk), "nightly", "--every", "60",
                                                          "--grace", "0", "--service", "backups")
    made = Heartbeat.objects.get()
    assert (made.interval_minutes, made.grace_minutes, made.service) == (60, 0, service)
    assert "nightly" in heartbeat("list") and "new" in heartbeat("list")
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        assert "Pinged nightly: up" in heartbeat("ping", "nightly", "--key", key)
    with clock.frozen(start + dt.timedelta(minutes=61)):
        assert "down (alert raised): 1" in heartbeat("check")
    with pytest.raises(CommandError, match="no heartbeat"):
        heartbeat("ping", "nightly", "--key", keys.new_key())
    with pytest.raises(CommandError, match="already exists"):
        heartbeat("add", str(integration.pk), "nightly")
    with pytest.raises(CommandError, match="interval_minutes"):
        heartbeat("add", str(integration.pk), "other", "--every", "0")
