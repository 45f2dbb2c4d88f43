"""Use cases of integrations and alerts: create and rotate keys, mapping rules, alert handling.

Keys are returned once by `create_integration` and `rotate_key`; only their hash is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.accounts.queries import active_staff
from opsdesk.core import clock, crud, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.audit import record_audit, target_of
from opsdesk.core.errors import Conflict, field_error
from opsdesk.core.events import publish
from opsdesk.core.queries import id_list
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from . import keys, rules
from .events import AlertsProcessed
from .models import Alert, Integration, MappingRule

INTEGRATION_FIELDS = (
    "name", "kind", "active", "signature_header", "timestamp_header", "flap_threshold", "flap_window_minutes",
    "group_window_minutes", "reopen_window_minutes",
)


def _client_objects(client: Client, data: dict[str, Any]) -> dict[str, Any]:
    """default_service, default_site and owner from ids, checked against the integration's client."""
    out: dict[str, Any] = {}
    if "default_service" in data:
        out["default_service"] = _service_of(client, data["default_service"], "default_service")
    if "default_site" in data:
        out["default_site"] = _site_of(client, data["default_site"], "default_site")
    if "owner" in data:
        out["owner"] = _staff(data["owner"])
    return out


def _service_of(client: Client, service_id: int | None, field: str) -> Service | None:
    if service_id is None:
        return None
    service = Service.objects.filter(pk=service_id, client=client).first()
    if service is None:
        raise field_error(field, f"no service {service_id} of {client.name}")
    return service


def _site_of(client: Client, site_id: int | None, field: str) -> Site | None:
    if site_id is None:
        return None
    site = Site.objects.filter(pk=site_id, clients=client).first()
    if site is None:
        raise field_error(field, f"no site {site_id} serving {client.name}")
    return site


def _staff(user_id: int | None) -> Any:
    if user_id is None:
        return None
    user = active_staff(user_id)
    if user is None:
        raise field_error("owner", f"no active staff user {user_id}")
    return user


@transaction.atomic
def create_integration(data: dict[str, Any], *, actor: Actor) -> tuple[Integration, str]:
    """Add an integration for a client; returns it and its key (shown this once)."""
    client = Client.objects.filter(pk=int(data.get("client") or 0)).first()
    if client is None:
        raise field_error("client", f"unknown client id {data.get('client')}")
    raw = keys.new_key()
    fields = {k: data[k] for k in INTEGRATION_FIELDS if data.get(k) is not None}
    fields.update(_client_objects(client, data))
    integration = crud.create(
        Integration,
        {**fields, "client": client, "key_hash": keys.hash_key(raw), "key_prefix": raw[: keys.SHOWN],
         "signing_salt": keys.new_salt()},
        actor=actor,
    )
    _replace_rules(integration, data.get("rules") or [], actor=actor)
    return integration, raw


@transaction.atomic
def update_integration(integration: Integration, data: dict[str, Any], *, actor: Actor) -> Integration:
    """Change an integration; `rules`, when given, replaces its mapping rules."""
    fields = {k: data[k] for k in INTEGRATION_FIELDS if k in data and data[k] is not None}
    fields.update(_client_objects(integration.client, data))
    crud.update(integration, fields, actor=actor)
    if data.get("rules") is not None:
        _replace_rules(integration, data["rules"], actor=actor)
    return integration


@transaction.atomic
def rotate_key(integration: Integration, *, actor: Actor) -> str:
    """A new key (and signing secret) for the integration; the old ones stop working at once."""
    raw = keys.new_key()
    old_prefix = integration.key_prefix
    integration.key_hash, integration.key_prefix = keys.hash_key(raw), raw[: keys.SHOWN]
    integration.signing_salt = keys.new_salt()
    integration.save(update_fields=["key_hash", "key_prefix", "signing_salt", "updated_at"])
    timeline.record(integration, "key_rotated", actor=actor, summary=f"Key rotated (now {integration.key_prefix}…)")
    record_audit(
        "integration.key_rotated", actor=actor, target=target_of(integration),
        before={"key_prefix": old_prefix}, after={"key_prefix": integration.key_prefix},
        detail={"name": integration.name},
    )
    return raw


@transaction.atomic
def delete_integration(integration: Integration, *, actor: User) -> None:
    """Remove an integration that has no alerts yet (otherwise deactivate it)."""
    if integration.alerts.exists():
        raise Conflict(f"{integration.name} has alerts; deactivate it instead (active=false).")
    crud.delete(integration, actor=actor)


def _replace_rules(integration: Integration, items: Iterable[dict[str, Any]], *, actor: Actor) -> None:
    """Replace the mapping rules, in the given order."""
    built = []
    for position, item in enumerate(items):
        where = f"rules[{position}]"
        label, operator, value = item.get("label") or "", item.get("operator") or "=", item.get("value") or ""
        if not label:
            raise field_error(f"{where}.label", "a label name is required")
        if operator not in MappingRule.Operator.values:
            raise field_error(f"{where}.operator", f"one of {', '.join(MappingRule.Operator.values)}")
        if operator in ("=~", "!~") and (problem := rules.valid_pattern(value)):
            raise field_error(f"{where}.value", problem)
        service = _service_of(integration.client, item.get("service"), f"{where}.service")
        site = _site_of(integration.client, item.get("site"), f"{where}.site")
        if (service is None) == (site is None):
            raise field_error(where, "map to exactly one of service or site")
        built.append(MappingRule(integration=integration, position=position, label=label, operator=operator,
                                 value=value, service=service, site=site))
    before = [str(r) for r in integration.rules.all()]
    integration.rules.all().delete()
    MappingRule.objects.bulk_create(built)
    after = [str(r) for r in built]
    if before != after:
        timeline.record(integration, "rules_changed", actor=actor, summary="Mapping rules changed",
                        changes={"rules": [before, after]})


@transaction.atomic
def link_incident(alert_ids: Iterable[int], incident_id: int | None) -> int:
    """Record which incident the alerts belong to (called by incidents); how many changed."""
    return Alert.objects.filter(pk__in=id_list(alert_ids)).update(incident_id=incident_id)


@transaction.atomic
def acknowledge_alert(alert: Alert, *, actor: User) -> Alert:
    """A person acknowledges a firing alert."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.FIRING:
        raise Conflict(f"Only a firing alert can be acknowledged; this one is {alert.status}.")
    alert.status, alert.acknowledged_at = Alert.Status.ACKNOWLEDGED, clock.now()
    alert.save(update_fields=["status", "acknowledged_at"])
    timeline.record(alert, "acknowledged", actor=actor, summary="Alert acknowledged",
                    changes={"status": [Alert.Status.FIRING, Alert.Status.ACKNOWLEDGED]})
    publish(AlertsProcessed(opened=(), retriggered=(), acknowledged=(alert.pk,), resolved=()))
    return alert


@transaction.atomic
def resolve_alert(alert: Alert, *, actor: User) -> Alert:
    """A person resolves an open alert (the sender may still trigger it again: a new alert then)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.RESOLVED:
        raise Conflict("This alert is already resolved.")
    before = alert.status
    alert.status, alert.resolved_at = Alert.Status.RESOLVED, clock.now()
    alert.save(update_fields=["status", "resolved_at"])
    timeline.record(alert, "resolved", actor=actor, summary="Alert resolved by hand",
                    changes={"status": [before, Alert.Status.RESOLVED]})
    publish(AlertsProcessed(opened=(), retriggered=(), acknowledged=(), resolved=(alert.pk,)))
    return alert
