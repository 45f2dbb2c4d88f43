"""Sending deliveries: one HTTP POST per attempt through the SSRF guard, the answer recorded, retries
with exponential backoff for up to 24 h, and endpoints that keep failing disabled (their owner told).

Each attempt locks its delivery (`select_for_update(skip_locked=True)`: on PostgreSQL a second
worker skips it) and re-reads its state, so a delivery enqueued twice (its own task and the
periodic sweep) is sent once. On SQLite a single worker is assumed; a receiver drops duplicates
by `webhook-id` anyway, as the Standard Webhooks specification advises.
"""

from __future__ import annotations

import datetime as dt
import http.client
import time

import orjson
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from opsdesk.core import clock, notify, outbound, timeline
from opsdesk.core.actors import SystemActor

from . import rules, signing
from .models import Attempt, Delivery, Endpoint

ACTOR = SystemActor("opsdesk channels")
TIMEOUT = 5.0  # connect, and each read
READ_CAP = 10.0  # the whole answer
USER_AGENT = "opsdesk-webhooks/1.0"
DUE_BATCH = 200
LEASE = dt.timedelta(minutes=2)  # a claimed delivery is not taken by another worker for this long


def enqueue_one(delivery_id: int) -> None:
    """Enqueue the attempt of one delivery (inside the caller's transaction: it commits with it)."""
    from .tasks import deliver

    deliver.enqueue(delivery_id)


def body_of(delivery: Delivery) -> bytes:
    """The bytes sent: the stored payload as compact JSON (the same bytes at every attempt)."""
    return orjson.dumps(delivery.payload)


def _read(response: http.client.HTTPResponse) -> bytes:
    """The start of the answer, read for at most READ_CAP seconds in all (a receiver trickling its
    answer byte by byte does not hold a worker for long: each read alone has TIMEOUT)."""
    deadline, chunks, size = time.monotonic() + READ_CAP, [], 0
    while size < rules.ANSWER_LIMIT * 4 and time.monotonic() < deadline:
        chunk = response.read1(1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _post(endpoint: Endpoint, delivery: Delivery, now: dt.datetime) -> tuple[int | None, str, str]:
    """POST the delivery; (status, first 2 KB of the answer, error)."""
    body = body_of(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if endpoint.kind == Endpoint.Kind.WEBHOOK:
        headers.update(signing.headers(endpoint.secret_salt, delivery.message_id, now, body))
    try:
        target = outbound.vet_url(endpoint.url)  # again at every send: DNS may have moved
        conn = outbound.connection(target, TIMEOUT)
        try:
            conn.request("POST", target.target, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, rules.clip(_read(response).decode("utf-8", "replace")), ""
        finally:
            conn.close()
    except outbound.OutboundRefused as exc:
        return None, "", f"refused by the SSRF guard: {exc}"[:500]
    except (OSError, http.client.HTTPException) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]


def attempt(delivery_id: int, *, replay: bool = False) -> Delivery | None:
    """Try one delivery now if it is due (or whatever its state, for a replay or a test); the
    delivery as it ends, or None when there was nothing to do (not due, done, or taken by another worker).

    Three steps, so no database lock is held while the receiver answers (SQLite's write lock
    would stop every writer meanwhile): claim the delivery in a short transaction (locked, re-read,
    its next attempt moved LEASE ahead so no other worker takes it), POST outside any transaction
    of ours, then record the attempt and its outcome. A worker dying after the POST leaves the
    lease to expire: the delivery is tried again (at least once; the webhook-id lets a receiver
    drop the duplicate)."""
    now = clock.now()
    with transaction.atomic():
        found = Delivery.objects.select_related("endpoint").filter(pk=delivery_id)
        if not replay:
            found = found.filter(state__in=(Delivery.State.PENDING, Delivery.State.FAILED),
                                 next_attempt_at__lte=now, endpoint__active=True)
        delivery = found.select_for_update(skip_locked=True, of=("self",)).first()
        if delivery is None:
            return None
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + LEASE)
    endpoint = delivery.endpoint
    started = time.monotonic()
    status, answer, error = _post(endpoint, delivery, now)
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        Attempt.objects.create(delivery=delivery, at=now, status_code=status, answer=answer, error=error,
                               duration_ms=duration, replay=replay)
        _settle(delivery, endpoint, now, status, answer, error)
    return delivery


def _settle(delivery: Delivery, endpoint: Endpoint, now: dt.datetime, status: int | None, answer: str,
            error: str) -> None:
    """Record the attempt's outcome on the delivery and the endpoint."""
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code, delivery.last_answer = status, answer
    delivery.last_error = error or ("" if rules.delivered(status) else f"answered HTTP {status}")
    if rules.delivered(status):
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = Delivery.State.DELIVERED, now, None
        Endpoint.objects.filter(pk=endpoint.pk).exclude(consecutive_failures=0).update(consecutive_failures=0)
    else:
        retry = None
        if not rules.gone(status) and delivery.event != "ping":
            retry = rules.next_attempt(delivery.first_attempt_at, delivery.attempts, now)
        delivery.state = Delivery.State.FAILED if retry else Delivery.State.GIVEN_UP
        delivery.next_attempt_at = retry
        Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        failures = Endpoint.objects.values_list("consecutive_failures", flat=True).get(pk=endpoint.pk)
        if rules.gone(status):
            disable(endpoint, "the receiver answered 410 Gone (the endpoint no longer exists)", now)
        elif failures >= endpoint.failure_threshold:
            disable(endpoint, f"{failures} failed attempts in a row (threshold {endpoint.failure_threshold}); "
                              f"last: {delivery.last_error}", now)
    delivery.save(update_fields=["attempts", "first_attempt_at", "last_status_code", "last_answer", "last_error",
                                 "state", "delivered_at", "next_attempt_at"])


def disable(endpoint: Endpoint, reason: str, now: dt.datetime) -> bool:
    """Disable a failing endpoint and tell its owner, once (False: it was already disabled)."""
    reason = reason[:300]
    if not Endpoint.objects.filter(pk=endpoint.pk, active=True).update(active=False, disabled_at=now,
                                                                     disabled_reason=reason):
        return False
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    timeline.record(endpoint, "disabled", actor=ACTOR, summary=f"Disabled: {reason}",
                    changes={"active": [True, False]})
    if endpoint.owner_id is not None:
        notify.notify([endpoint.owner], f"Endpoint {endpoint.name} disabled",
                      f"opsdesk stopped sending to {endpoint.name}: {reason}. Fix the receiver, then enable it; "
                      "deliveries waiting meanwhile are sent then.",
                      url=reverse("channels:detail", args=[endpoint.pk]))
    return True


def deliver_due(now: dt.datetime | None = None) -> int:
    """Attempt every delivery that is due (the periodic sweep: retries, and anything missed); how many tried."""
    now = now or clock.now()
    ids = list(Delivery.objects.filter(state__in=(Delivery.State.PENDING, Delivery.State.FAILED),
                                       next_attempt_at__lte=now, endpoint__active=True)
               .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:DUE_BATCH])
    return sum(1 for pk in ids if attempt(pk) is not None)
