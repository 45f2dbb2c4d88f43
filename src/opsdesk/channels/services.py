"""Use cases of channels: endpoints (add, change, rotate, enable), publishing events (an outbox of
deliveries written in the publisher's transaction), one-off sends, tests and replays.

Sending itself (HTTP through the SSRF guard, retries, disabling a failing endpoint) is in
`channels.sending`, run by tasks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock, outbound, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.errors import Conflict, InvalidInput, field_error
from opsdesk.tenancy.models import Client

from . import rules, sending, signing, slack, teams
from .messages import Message
from .models import Delivery, Endpoint

# The events opsdesk publishes (an endpoint subscribes to some, or to all with an empty list).
EVENTS = (
    "incident.opened", "incident.acknowledged", "incident.resolved", "incident.updated",
    "workorder.state_changed", "change.approved", "change.started", "change.completed",
    "sla.at_risk", "sla.breached", "ping",
)
FIELDS = ("name", "kind", "url", "slack_channel", "team", "events", "failure_threshold", "active")
MAX_THRESHOLD = 1000
# A Slack channel id (C0123456789, G…, D…) or, as Slack also takes, a channel name.
SLACK_CHANNEL = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


# --- endpoints -----------------------------------------------------------------------------------


def _fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Model fields from API/form data, validated (InvalidInput naming the field)."""
    if creating and data.get("kind") == Endpoint.Kind.SLACK_APP and not str(data.get("url") or "").strip():
        data = {**data, "url": slack.API_BASE}  # a Slack app calls the Slack API unless told otherwise
    fields = {k: data[k] for k in FIELDS if data.get(k) is not None}
    if creating:
        for name in ("name", "url"):
            if not str(data.get(name) or "").strip():
                raise field_error(name, "required")
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"] or len(fields["name"]) > 100:
            raise field_error("name", "1 to 100 characters")
    if "kind" in fields and fields["kind"] not in Endpoint.Kind.values:
        raise field_error("kind", f"one of {', '.join(Endpoint.Kind.values)}")
    if "url" in fields:
        try:
            fields["url"] = outbound.check_configured_url(str(fields["url"]).strip())
        except outbound.OutboundRefused as exc:
            raise field_error("url", str(exc)) from None
        if len(fields["url"]) > 2000:
            raise field_error("url", "at most 2000 characters")
    if "slack_channel" in fields:
        fields["slack_channel"] = str(fields["slack_channel"]).strip()
        if fields["slack_channel"] and not SLACK_CHANNEL.fullmatch(fields["slack_channel"]):
            raise field_error("slack_channel", "a Slack channel id such as C0123456789 (at most 80 characters)")
    if "events" in fields:
        events = fields["events"]
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise field_error("events", "a list of event types")
        unknown = sorted(set(events) - set(EVENTS))
        if unknown:
            raise field_error("events", f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}")
        fields["events"] = list(dict.fromkeys(events))
    if "failure_threshold" in fields and not 1 <= int(fields["failure_threshold"]) <= MAX_THRESHOLD:
        raise field_error("failure_threshold", f"from 1 to {MAX_THRESHOLD}")
    if "team" in fields and len(str(fields["team"])) > 100:
        raise field_error("team", "at most 100 characters")
    if "owner" in data:
        owner = data["owner"]
        fields["owner"] = None if owner is None else User.objects.filter(
            pk=owner, client__isnull=True, is_active=True).first()
        if owner is not None and fields["owner"] is None:
            raise field_error("owner", f"no active staff user {owner}")
    return fields


def _save(endpoint: Endpoint) -> None:
    if endpoint.kind == Endpoint.Kind.SLACK_APP and not endpoint.slack_channel:
        raise field_error("slack_channel", "required for a Slack app endpoint: the id of the channel it posts to "
                                           "(C0123456789; invite the app to the channel)")
    try:
        endpoint.full_clean(exclude=["client", "owner", "created_by"])
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise field_error(name, "; ".join(messages)) from None
    endpoint.save()


@transaction.atomic
def create_endpoint(data: dict[str, Any], *, actor: Actor) -> tuple[Endpoint, str]:
    """Add an endpoint; answers it and, for a webhook, its signing secret (shown this once)."""
    fields = _fields(data, creating=True)
    client = None
    if data.get("client") is not None:
        client = Client.objects.filter(pk=data["client"]).first()
        if client is None:
            raise field_error("client", f"no client {data['client']}")
    person = actor if isinstance(actor, User) else None
    endpoint = Endpoint(**fields, client=client, created_by=person, secret_salt=signing.new_salt())
    endpoint.audience = Endpoint.Audience.CLIENT if client else Endpoint.Audience.RESPONDERS
    if "owner" not in fields:
        endpoint.owner = person
    _save(endpoint)
    timeline.record(endpoint, "created", actor=actor, summary=f"Endpoint {endpoint.name} ({endpoint.kind}) added",
                    changes={k: [None, endpoint.shown_url if k == "url" else str(v)] for k, v in fields.items()})
    return endpoint, secret_of(endpoint)


def secret_of(endpoint: Endpoint) -> str:
    """The webhook endpoint's signing secret ("" for Slack and Teams, which are not signed)."""
    return signing.derive(endpoint.secret_salt) if endpoint.kind == Endpoint.Kind.WEBHOOK else ""


@transaction.atomic
def update_endpoint(endpoint: Endpoint, data: dict[str, Any], *, actor: Actor) -> Endpoint:
    """Change an endpoint's name, URL, Slack channel, events, team, threshold, owner or active flag.

    A Slack app thread whose card was posted keeps editing that card in its channel; a new
    channel takes the threads posted from then on."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    fields = _fields(data, creating=False)
    if fields.pop("active", None) is not None and data["active"] != endpoint.active:
        _set_active(endpoint, bool(data["active"]), "switched off by hand", actor)
        if endpoint.active:
            _resume(endpoint)
    names = [f if f != "owner" else "owner_id" for f in fields]
    before = timeline.snapshot(endpoint, names) if names else {}
    for name, value in fields.items():
        setattr(endpoint, name, value)
    _save(endpoint)
    changes = timeline.diff(before, timeline.snapshot(endpoint, names)) if names else {}
    if "url" in changes:  # a chat URL is a credential: the timeline keeps its host only
        changes["url"] = ["…", endpoint.shown_url]
    if changes:
        timeline.record(endpoint, "updated", actor=actor, summary=f"Endpoint {endpoint.name} changed", changes=changes)
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: Endpoint, *, actor: Actor) -> None:
    """Remove an endpoint and its deliveries (the timeline keeps the record)."""
    timeline.record(endpoint, "deleted", actor=actor, summary=f"Endpoint {endpoint.name} removed")
    Endpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def rotate_secret(endpoint: Endpoint, *, actor: Actor) -> str:
    """A new signing secret for a webhook endpoint (the old one stops working at once); shown once."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.kind != Endpoint.Kind.WEBHOOK:
        raise Conflict(f"{endpoint.get_kind_display()} endpoints are not signed; only webhooks have a secret.")
    endpoint.secret_salt = signing.new_salt()
    endpoint.secret_rotated_at = clock.now()
    endpoint.save(update_fields=["secret_salt", "secret_rotated_at"])
    timeline.record(endpoint, "secret_rotated", actor=actor, summary="Signing secret rotated")
    return secret_of(endpoint)


def _set_active(endpoint: Endpoint, active: bool, reason: str, actor: Actor) -> None:
    endpoint.active = active
    endpoint.disabled_at = None if active else clock.now()
    endpoint.disabled_reason = "" if active else reason[:300]
    if active:
        endpoint.consecutive_failures = 0
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "consecutive_failures"])
    timeline.record(endpoint, "enabled" if active else "disabled", actor=actor,
                    summary="Enabled" if active else f"Disabled: {reason}", changes={"active": [not active, active]})


def _resume(endpoint: Endpoint) -> None:
    """Deliveries that waited while the endpoint was off are due now (the sweep sends them)."""
    Delivery.objects.filter(endpoint=endpoint, state__in=(Delivery.State.PENDING, Delivery.State.FAILED)).update(
        next_attempt_at=clock.now())


@transaction.atomic
def enable_endpoint(endpoint: Endpoint, *, actor: Actor) -> Endpoint:
    """Switch an endpoint (back) on: its failure count restarts; pending deliveries go out again."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.active:
        _set_active(endpoint, True, "", actor)
        _resume(endpoint)
    return endpoint


@transaction.atomic
def disable_endpoint(endpoint: Endpoint, reason: str, *, actor: Actor) -> Endpoint:
    """Switch an endpoint off by hand (nothing is sent to it until it is enabled)."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.active:
        _set_active(endpoint, False, reason or "switched off by hand", actor)
    return endpoint


# --- deliveries ----------------------------------------------------------------------------------


def render(endpoint: Endpoint, message: Message, *, event: str, payload: dict[str, Any] | None,
           at: Any) -> dict[str, Any]:
    """The body an endpoint of this kind gets for a message."""
    if endpoint.kind in (Endpoint.Kind.SLACK, Endpoint.Kind.SLACK_APP):
        return slack.render(message)  # a Slack app adds the channel (and ts) when it sends
    if endpoint.kind == Endpoint.Kind.TEAMS:
        return teams.render(message)
    # Standard Webhooks' payload structure: type, timestamp, data.
    return {"type": event, "timestamp": at.isoformat().replace("+00:00", "Z"),
            "data": {**(payload or {}), "message": message.as_dict()}}


def _new_delivery(endpoint: Endpoint, message: Message, *, event: str, payload: dict[str, Any] | None,
                  idempotency_key: str | None = None) -> Delivery:
    now = clock.now()
    return Delivery(endpoint=endpoint, event=event, message_id=f"msg_{secrets.token_urlsafe(18)}",
                    idempotency_key=idempotency_key, payload=render(endpoint, message, event=event,
                                                                    payload=payload, at=now),
                    state=Delivery.State.PENDING, next_attempt_at=now, thread_key=message.thread_key[:100],
                    created_at=now)


def publish(event: str, message: Message, *, client_ids: Iterable[int] = (), team: str = "",
            client_message: Message | None = None, payload: dict[str, Any] | None = None,
            client_messages: Mapping[int, Message] | None = None) -> int:
    """Queue `event` for every active endpoint subscribed to it; how many deliveries were made.

    Internal endpoints get `message`; a client's endpoint gets `client_message` (or its own
    client's entry of `client_messages`, wording reduced to that client's part of a shared
    object), and only when that client is among `client_ids` (no client wording: client endpoints
    get nothing). `payload` goes to every webhook's `data`: put there only what every audience may
    read (ids, numbers). Call it inside the publisher's transaction: the deliveries and their task
    commit with it (an outbox)."""
    clients = set(client_ids)
    per_client = client_messages or {}
    made: list[Delivery] = []
    for endpoint in Endpoint.objects.filter(active=True).only(
            "id", "kind", "client_id", "team", "events", "audience", "secret_salt"):
        if not (rules.subscribed(endpoint.events, event) and rules.team_matches(endpoint.team, team)
                and rules.client_allowed(endpoint.client_id, clients)):
            continue
        wording = message if endpoint.client_id is None else per_client.get(endpoint.client_id, client_message)
        if wording is None:
            continue
        made.append(_new_delivery(endpoint, wording, event=event, payload=payload))
    if made:
        for delivery in Delivery.objects.bulk_create(made):
            sending.enqueue_one(delivery.pk)
    return len(made)


def _absolute(url: str) -> str:
    return url if url.startswith("http") or not url else f"{settings.BASE_URL.rstrip('/')}{url}"


class ClientReader:
    """A client's reader as tenancy sees one (for the redactor of a shared object's client wording)."""

    is_authenticated = True
    is_client_user = True

    def __init__(self, client_id: int) -> None:
        self.client_id = client_id


def publish_object_event(event: str, *, ref: str, title: str, url: str, summary: str = "", severity: str = "",
                         status: str = "", fields: tuple[tuple[str, str], ...] = (), client_ids: Iterable[int] = (),
                         client_title: str = "", client_summary: str = "", client_url: str = "",
                         redactor_for: Callable[[Any], Any] | None = None, team: str = "",
                         payload: dict[str, Any] | None = None) -> int:
    """Publish an event about one object ("incident:42"): the responders' message, and when
    `client_title` is given each client's own wording (passed through `redactor_for(reader)` of
    that client, so a shared object names no other client). The publishers' one-line call."""
    absolute, client_absolute = _absolute(url), _absolute(client_url or url)
    internal = Message(event=event, title=title, summary=summary, severity=severity, status=status, url=absolute,
                       fields=fields, thread_key=ref)
    clients = sorted(set(client_ids))
    worded: dict[int, Message] = {}
    if client_title:
        for client_id in clients:
            redact = redactor_for(ClientReader(client_id)).text if redactor_for else (lambda text: text)
            worded[client_id] = Message(event=event, title=redact(client_title), summary=redact(client_summary),
                                        audience="client", status=status, url=client_absolute, thread_key=ref)
    kind, _sep, number = ref.partition(":")
    data = {"object": kind, "id": int(number) if number.isdigit() else number, **(payload or {})}
    return publish(event, internal, client_ids=clients, team=team, client_messages=worded, payload=data)


def send_to(endpoint: Endpoint, message: Message, *, event: str, idempotency_key: str,
            payload: dict[str, Any] | None = None) -> Delivery:
    """One delivery of a message to one endpoint (paging's chat and webhook contact methods).

    The same `idempotency_key` again answers the delivery it made the first time, creating nothing."""
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidInput("An idempotency key of 1 to 200 characters is required.")
    existing = Delivery.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    delivery = _new_delivery(endpoint, message, event=event, payload=payload, idempotency_key=idempotency_key)
    try:
        with transaction.atomic():
            delivery.save(force_insert=True)
    except IntegrityError:  # the same key, written meanwhile by another worker
        return Delivery.objects.get(idempotency_key=idempotency_key)
    sending.enqueue_one(delivery.pk)
    return delivery


def send_test(endpoint: Endpoint, *, actor: Actor) -> Delivery:
    """Send a `ping` event to the endpoint now (whatever its subscriptions); the delivery, attempted."""
    message = Message(event="ping", title=f"Test event for {endpoint.name}",
                      summary="opsdesk can reach this endpoint.", fields=(("Endpoint", endpoint.name),))
    with transaction.atomic():
        delivery = _new_delivery(endpoint, message, event="ping", payload={"test": True})
        delivery.save(force_insert=True)
        timeline.record(endpoint, "tested", actor=actor, summary=f"Test event sent ({delivery.message_id})")
    return sending.attempt(delivery.pk, replay=True) or delivery


def replay(delivery: Delivery, actor: Actor) -> Delivery:
    """Send a delivery again now, whatever its state: a new attempt with the same webhook-id."""
    with transaction.atomic():
        timeline.record(delivery.endpoint, "replayed", actor=actor,
                        summary=f"Delivery {delivery.message_id} ({delivery.event}) replayed")
    return sending.attempt(delivery.pk, replay=True) or delivery
