"""Use cases of a person's paging settings: contact methods, notification rules, quiet hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from opsdesk.channels.models import Endpoint
from opsdesk.core import clock
from opsdesk.core.errors import field_error

from .models import ContactMethod, NotificationRule, PagingProfile

CHAT_KINDS = {k for k in Endpoint.Kind.values if k != Endpoint.Kind.WEBHOOK}  # Slack, Teams (and later chat kinds)


@transaction.atomic
def add_contact_method(person: Any, data: dict[str, Any]) -> ContactMethod:
    """A new way to reach `person`: email (address, blank = the user's), chat or webhook (endpoint)."""
    kind = data.get("kind") or "email"
    if kind not in ContactMethod.Kind.values:
        raise field_error("kind", f"one of {', '.join(ContactMethod.Kind.values)}")
    address = (data.get("address") or "").strip()
    if kind == "email" and address:
        try:
            validate_email(address)
        except ValidationError:
            raise field_error("address", "not an email address") from None
    endpoint = _endpoint(kind, data.get("endpoint")) if kind != "email" else None
    return ContactMethod.objects.create(
        person=person, kind=kind, address=address if kind == "email" else "",
        endpoint=endpoint, label=(data.get("label") or "")[:100],
    )


def _endpoint(kind: str, ref: Any) -> Endpoint:
    """The channels endpoint a chat or webhook method uses: an existing internal one of the right
    kind. Endpoints are made by staff with integrations.write (Channels); a person only picks one."""
    if not ref:
        raise field_error("endpoint", "a chat or webhook method needs a channels endpoint id")
    endpoint = Endpoint.objects.filter(pk=ref).first()
    if endpoint is None:
        raise field_error("endpoint", f"no channels endpoint {ref}")
    if endpoint.client_id is not None:
        raise field_error("endpoint", f"endpoint {ref} is a client's; pages go to internal endpoints only")
    allowed = CHAT_KINDS if kind == ContactMethod.Kind.CHAT else {Endpoint.Kind.WEBHOOK}
    if endpoint.kind not in allowed:
        raise field_error("endpoint", f"endpoint {ref} is a {endpoint.get_kind_display()}, not a {kind} endpoint")
    return endpoint


@transaction.atomic
def remove_contact_method(method: ContactMethod) -> None:
    """Delete a contact method (its rules go with it)."""
    method.delete()


@transaction.atomic
def add_rule(person: Any, data: dict[str, Any]) -> NotificationRule:
    """Use one of the person's contact methods `delay_minutes` after a page of `urgency` starts."""
    method = ContactMethod.objects.filter(person=person, pk=data.get("contact_method") or 0).first()
    if method is None:
        raise field_error("contact_method", "not one of this person's contact methods")
    if data.get("urgency") not in NotificationRule.Urgency.values:
        raise field_error("urgency", "high or low")
    delay = float(data.get("delay_minutes") or 0)
    if not 0 <= delay <= 24 * 60:
        raise field_error("delay_minutes", "between 0 and 1440")
    return NotificationRule.objects.create(person=person, urgency=data["urgency"], contact_method=method,
                                           delay_minutes=delay)


@transaction.atomic
def remove_rule(rule: NotificationRule) -> None:
    """Delete a notification rule."""
    rule.delete()


def _hhmm(value: Any, field: str) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise field_error(field, "a local time HH:MM") from None


@transaction.atomic
def set_profile(person: Any, data: dict[str, Any]) -> PagingProfile:
    """Time zone and quiet hours (both ends, or neither)."""
    profile, _ = PagingProfile.objects.get_or_create(person=person)
    if data.get("time_zone"):
        try:
            profile.time_zone = clock.validate_time_zone(data["time_zone"])
        except ValueError as exc:
            raise field_error("time_zone", str(exc)) from None
    if "quiet_start" in data or "quiet_end" in data:
        start, end = _hhmm(data.get("quiet_start"), "quiet_start"), _hhmm(data.get("quiet_end"), "quiet_end")
        if (start is None) != (end is None):
            raise field_error("quiet_end", "give both ends of the quiet hours, or neither")
        profile.quiet_start, profile.quiet_end = start, end
    profile.save()
    return profile
