"""Sending deliveries: one HTTP POST per attempt through the SSRF guard, the answer recorded, retries
with exponential backoff for up to 24 h, and endpoints that keep failing disabled (their owner told).

Each attempt locks its delivery (`select_for_update(skip_locked=True)`: on PostgreSQL a second
worker skips it) and re-reads its state, so a delivery enqueued twice (its own task and the
periodic sweep) is sent once. On SQLite a single worker is assumed; a receiver drops duplicates
by `webhook-id` anyway, as the Standard Webhooks specification advises. A 429 or 503 answer's
Retry-After (in seconds) is honoured: the next attempt is no sooner than it says.

Slack app endpoints (`slack_app`) call the Slack Web API instead (see `channels.slack`): the first
delivery of a thread posts the card (`chat.postMessage`) and the answered `channel` and `ts` are
kept, in the transaction recording the attempt, as the thread's `SlackMessage`; later deliveries
of the thread edit that card (`chat.update`). HTTP 200 with `"ok": false` is a failed attempt,
retried like any other, with Slack's error recorded. The deliveries of one thread go one at a
time, in the order they were made: a delivery whose thread has an earlier delivery still pending
or failed on the same endpoint is not sent but waits (its next attempt moved after the earlier
one's); when the earlier one settles (delivered or given up) the next one is made due at once. So
two deliveries racing on two workers do not post two cards (the second sees the first pending and
waits; the first's `ts` commits with its delivered state), and an older update never overwrites
a newer card. What remains: a worker dying between Slack's answer and the record of it leaves the
lease to expire and the post is tried again, so that card is posted twice (the thread then
follows the newer one); a replay is sent at once whatever waits, editing the card when its `ts`
is known.
"""

from __future__ import annotations

import datetime as dt
import http.client
import time
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from opsdesk.core import clock, notify, outbound, timeline
from opsdesk.core.actors import SystemActor

from . import rules, signing, slack
from .models import Attempt, Delivery, Endpoint, SlackMessage

ACTOR = SystemActor("opsdesk channels")
TIMEOUT = 5.0  # connect, and each read
READ_CAP = 10.0  # the whole answer
USER_AGENT = "opsdesk-webhooks/1.0"
DUE_BATCH = 200
LEASE = dt.timedelta(minutes=2)  # a claimed delivery is not taken by another worker for this long
THREAD_WAIT = dt.timedelta(seconds=10)  # a Slack app delivery waiting for its thread's earlier one, at least
SLACK_ANSWER_READ = 256 * 1024  # Slack echoes the message in its answer: read it whole to find `ts`


def enqueue_one(delivery_id: int) -> None:
    """Enqueue the attempt of one delivery (inside the caller's transaction: it commits with it)."""
    from .tasks import deliver

    deliver.enqueue(delivery_id)


def body_of(delivery: Delivery) -> bytes:
    """The bytes sent: the stored payload as compact JSON (the same bytes at every attempt)."""
    return orjson.dumps(delivery.payload)


def _read(response: http.client.HTTPResponse, limit: int = rules.ANSWER_LIMIT * 4) -> bytes:
    """The start of the answer, read for at most READ_CAP seconds in all (a receiver trickling its
    answer byte by byte does not hold a worker for long: each read alone has TIMEOUT)."""
    deadline, chunks, size = time.monotonic() + READ_CAP, [], 0
    while size < limit and time.monotonic() < deadline:
        chunk = response.read1(16384)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's result: the HTTP status (None: no answer), the first 2 KB of the answer, the
    error, whether it was delivered, how long the receiver asked us to wait, and for a Slack app
    where the card is (`posted`), or that the card to edit is gone (`stale`)."""

    status: int | None
    answer: str
    error: str
    ok: bool
    wait: dt.timedelta | None = None
    posted: slack.Answer | None = None
    stale: bool = False


def _exchange(url: str, body: bytes, headers: dict[str, str],
              limit: int = rules.ANSWER_LIMIT * 4) -> tuple[int | None, bytes, str, str]:
    """POST through the SSRF guard; (status, the answer's first `limit` bytes, Retry-After, error)."""
    try:
        target = outbound.vet_url(url)  # again at every send: DNS may have moved
        conn = outbound.connection(target, TIMEOUT)
        try:
            conn.request("POST", target.target, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, _read(response, limit), response.getheader("Retry-After") or "", ""
        finally:
            conn.close()
    except outbound.OutboundRefused as exc:
        return None, b"", "", f"refused by the SSRF guard: {exc}"[:500]
    except (OSError, http.client.HTTPException) as exc:
        return None, b"", "", f"{type(exc).__name__}: {exc}"[:500]


def _post(endpoint: Endpoint, delivery: Delivery, now: dt.datetime, thread: SlackMessage | None = None) -> Outcome:
    """Send the delivery: a webhook POST of its payload, or a Slack Web API call."""
    if endpoint.kind == Endpoint.Kind.SLACK_APP:
        return _call_slack(endpoint, delivery, thread)
    body = body_of(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if endpoint.kind == Endpoint.Kind.WEBHOOK:
        headers.update(signing.headers(endpoint.secret_salt, delivery.message_id, now, body))
    status, raw, wait, error = _exchange(endpoint.url, body, headers)
    return Outcome(status, rules.clip(raw.decode("utf-8", "replace")), error, rules.delivered(status),
                   rules.retry_after(wait))


def _call_slack(endpoint: Endpoint, delivery: Delivery, thread: SlackMessage | None) -> Outcome:
    """chat.postMessage (the thread's first card) or chat.update (its card, known by `ts`), with
    the server's bot token; Slack's `ok` decides, not the HTTP status alone."""
    token = settings.OPSDESK_SLACK_BOT_TOKEN
    if not token:
        return Outcome(None, "", "no Slack bot token: set OPSDESK_SLACK_BOT_TOKEN on the server (and restart "
                                 "the workers) to send to Slack app endpoints", False)
    channel = thread.channel if thread else endpoint.slack_channel
    if not channel:
        return Outcome(None, "", "the endpoint has no Slack channel", False)
    call = slack.api_call(delivery.payload, channel=channel, ts=thread.ts if thread else "")
    headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}",
               "User-Agent": USER_AGENT}
    status, raw, wait, error = _exchange(slack.method_url(endpoint.url, call.method), orjson.dumps(call.body),
                                         headers, SLACK_ANSWER_READ)
    answer = slack.read_answer(call.method, status, raw)
    if not error and not answer.ok:
        error = f"Slack {call.method}: {answer.error}"[:500]
    return Outcome(status, rules.clip(raw.decode("utf-8", "replace")), error, answer.ok, rules.retry_after(wait),
                   posted=answer if answer.ok and call.method == slack.POST_MESSAGE else None,
                   stale=call.method == slack.UPDATE and answer.error in slack.REPOST_ERRORS)


def _earlier_in_thread(delivery: Delivery) -> Delivery | None:
    """A Slack app delivery's thread's earliest delivery made before it and not settled yet (it goes first)."""
    if delivery.endpoint.kind != Endpoint.Kind.SLACK_APP or not delivery.thread_key:
        return None
    return (Delivery.objects.filter(endpoint_id=delivery.endpoint_id, thread_key=delivery.thread_key,
                                    pk__lt=delivery.pk, state__in=(Delivery.State.PENDING, Delivery.State.FAILED))
            .order_by("pk").first())


def _thread_of(delivery: Delivery) -> SlackMessage | None:
    if delivery.endpoint.kind != Endpoint.Kind.SLACK_APP or not delivery.thread_key:
        return None
    return SlackMessage.objects.filter(endpoint_id=delivery.endpoint_id, thread_key=delivery.thread_key).first()


def attempt(delivery_id: int, *, replay: bool = False) -> Delivery | None:
    """Try one delivery now if it is due (or whatever its state, for a replay or a test); the
    delivery as it ends, or None when there was nothing to do (not due, done, or taken by another worker).

    Three steps, so no database lock is held while the receiver answers (SQLite's write lock
    would stop every writer meanwhile): claim the delivery in a short transaction (locked, re-read,
    its next attempt moved LEASE ahead so no other worker takes it), POST outside any transaction
    of ours, then record the attempt and its outcome. A worker dying after the POST leaves the
    lease to expire: the delivery is tried again (at least once; the webhook-id lets a receiver
    drop the duplicate). A Slack app delivery whose thread has an earlier one unsettled waits
    instead (None: see the module's docstring)."""
    now = clock.now()
    with transaction.atomic():
        found = Delivery.objects.select_related("endpoint").filter(pk=delivery_id)
        if not replay:
            found = found.filter(state__in=(Delivery.State.PENDING, Delivery.State.FAILED),
                                 next_attempt_at__lte=now, endpoint__active=True)
        delivery = found.select_for_update(skip_locked=True, of=("self",)).first()
        if delivery is None:
            return None
        earlier = None if replay else _earlier_in_thread(delivery)
        if earlier is not None:  # the thread's earlier delivery goes first; its settling makes this one due
            wait = max(earlier.next_attempt_at or now, now) + THREAD_WAIT
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=wait)
            return None
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + LEASE)
    endpoint = delivery.endpoint
    thread = _thread_of(delivery)
    started = time.monotonic()
    outcome = _post(endpoint, delivery, now, thread)
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        Attempt.objects.create(delivery=delivery, at=now, status_code=outcome.status, answer=outcome.answer,
                               error=outcome.error, duration_ms=duration, replay=replay)
        _settle(delivery, endpoint, now, outcome)
        if endpoint.kind == Endpoint.Kind.SLACK_APP and delivery.thread_key:
            _settle_thread(delivery, endpoint, now, outcome, thread)
    return delivery


def _settle_thread(delivery: Delivery, endpoint: Endpoint, now: dt.datetime, outcome: Outcome,
                   thread: SlackMessage | None) -> None:
    """Keep where a Slack app thread's card is, and let the thread's next delivery go once this one settled."""
    if outcome.posted is not None:
        SlackMessage.objects.update_or_create(
            endpoint=endpoint, thread_key=delivery.thread_key,
            defaults={"channel": outcome.posted.channel, "ts": outcome.posted.ts, "posted_at": now, "updated_at": None})
    elif outcome.ok and thread is not None:
        SlackMessage.objects.filter(pk=thread.pk).update(updated_at=now)
    elif outcome.stale and thread is not None:  # the card cannot be edited: the retry posts a new one
        SlackMessage.objects.filter(pk=thread.pk, ts=thread.ts).delete()
    if delivery.state in (Delivery.State.DELIVERED, Delivery.State.GIVEN_UP):
        following = (Delivery.objects.filter(endpoint=endpoint, thread_key=delivery.thread_key, pk__gt=delivery.pk,
                                             state__in=(Delivery.State.PENDING, Delivery.State.FAILED))
                     .order_by("pk").first())
        if following is not None:
            Delivery.objects.filter(pk=following.pk).update(next_attempt_at=now)
            enqueue_one(following.pk)


def _settle(delivery: Delivery, endpoint: Endpoint, now: dt.datetime, outcome: Outcome) -> None:
    """Record the attempt's outcome on the delivery and the endpoint."""
    status = outcome.status
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code, delivery.last_answer = status, outcome.answer
    delivery.last_error = outcome.error or ("" if outcome.ok else f"answered HTTP {status}")
    if outcome.ok:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = Delivery.State.DELIVERED, now, None
        Endpoint.objects.filter(pk=endpoint.pk).exclude(consecutive_failures=0).update(consecutive_failures=0)
    else:
        retry = None
        if not rules.gone(status) and delivery.event != "ping":
            retry = rules.next_attempt(delivery.first_attempt_at, delivery.attempts, now, outcome.wait)
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
