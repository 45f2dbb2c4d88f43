"""Paging use cases: start an escalation when an incident opens, advance its steps when due, send
the pages exactly once, stop on acknowledgement. Every step and notification is on the timeline."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import QuerySet

from opsdesk.core import clock, notify, timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.errors import Conflict
from opsdesk.incidents import rules as incident_rules
from opsdesk.incidents.models import Incident
from opsdesk.sites import rules as site_rules
from opsdesk.sites.businesstime import due as business_due

from . import deliver, rules, targets
from .models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    NotificationRule,
    Page,
    PagingProfile,
)

ACTOR = SystemActor("opsdesk paging")
logger = logging.getLogger("opsdesk.paging")
BATCH = 200  # escalations or pages taken per pass
SEND_BATCH = 25  # pages handed over per transaction (the most a crash can re-send)
FAN_OUT = 20  # pages in one step above which a send task is enqueued for another worker


# -- state changes, one function per object -------------------------------------------------------


def transition_escalation(escalation: Escalation, to: str, *, actor: Actor, reason: str = "") -> Escalation:
    """Move an escalation (rules.ESCALATION_MACHINE), recorded on the incident's timeline."""
    before = escalation.state
    escalation.state = rules.ESCALATION_MACHINE.apply(before, to)
    if to != "active":
        escalation.stopped_at = clock.now()
        escalation.next_due_at = None
        user = actor if getattr(actor, "is_authenticated", False) else None
        escalation.stopped_by = user  # type: ignore[assignment]
    escalation.save()
    timeline.record(escalation.incident, "escalation", actor=actor, summary=reason or f"Escalation {before} → {to}",
                    changes={"state": [before, to], "escalation": escalation.pk})
    return escalation


def transition_pages(pages: Iterable[Page], to: str, *, actor: Actor, summary: str = "") -> int:
    """Move pages (rules.PAGE_MACHINE) in one batch, each recorded on its incident's timeline."""
    moved = []
    entries = []
    now = clock.now()
    for page in pages:
        before = page.state
        page.state = rules.PAGE_MACHINE.apply(before, to)
        if to == "sent":
            page.sent_at = now
        entries.append(timeline.entry(
            page.escalation.incident, "page", actor=actor,
            summary=summary or _page_summary(page, to), changes={"state": [before, to], "page": page.pk},
        ))
        moved.append(page)
    if moved:
        if to == "sent":  # one UPDATE for the batch (the address is on the page; no detail kept)
            Page.objects.filter(pk__in=[p.pk for p in moved]).update(state=to, sent_at=now)
        else:
            Page.objects.bulk_update(moved, ["state", "detail"])
        timeline.record_batch(entries)
    return len(moved)


def _page_summary(page: Page, to: str) -> str:
    who = page.person.get_username()
    if to == "sent":
        return f"Notified {who} by {page.kind}"
    if to == "failed":
        return f"Could not notify {who} by {page.kind}: {page.detail}"
    return f"Cancelled the {page.kind} notification to {who}"


# -- start and stop ---------------------------------------------------------------------------------


def policy_for(incident: Incident) -> EscalationPolicy | None:
    """Its integration's policy, else one of its services' (most specific first), else its client's, else the default."""
    policies = list(EscalationPolicy.objects.prefetch_related("services", "integrations"))
    refs = [
        rules.PolicyRef(id=p.pk, integration_ids=frozenset(i.pk for i in p.integrations.all()),
                        service_ids=frozenset(s.pk for s in p.services.all()), client_id=p.client_id,
                        is_default=p.is_default)
        for p in policies
    ]
    # Most specific service first: the ones others depend on least come first (fewest dependants).
    service_ids = list(incident.services.order_by("id").values_list("id", flat=True))
    chosen = rules.choose_policy(
        refs, integration_id=incident.integration_id, service_ids=service_ids,
        client_ids=list(incident.clients.order_by("id").values_list("id", flat=True)),
    )
    return next((p for p in policies if p.pk == chosen), None)


def next_business_instant(incident: Incident, at: dt.datetime) -> dt.datetime:
    """`at` if inside the business hours of the incident's (first) site, else the next opening."""
    site = incident.sites.order_by("id").first()
    if site is None:
        return at
    calendar = site_rules.calendar_for(site.time_zone, site.business_hours, site.holiday_country,
                                       site.holiday_subdivision)
    # The earliest instant with a business second after it: due(at, 0+) minus that second.
    found = business_due(calendar, at, 1)
    return at if found is None else max(at, found - dt.timedelta(seconds=1))


def latest_escalation(incident: Incident) -> Escalation | None:
    """The incident's escalation: its latest run (None before any)."""
    return Escalation.objects.filter(incident=incident).order_by("-run").first()


def start_escalation(incident: Incident, *, at: dt.datetime | None = None, run: int = 1) -> Escalation | None:
    """Start the incident's policy: page now, at the next business instant, or ticket only."""
    now = at or clock.now()
    policy = policy_for(incident)
    if policy is None:
        return None
    mode = rules.mode_for(policy.severity_rules, incident.severity)
    esc = Escalation(incident=incident, policy=policy, urgency=rules.urgency_for(mode), started_at=now, run=run)
    sev = incident.get_severity_display()
    again = f" again (reopened: run {run})" if run > 1 else ""
    if mode == "ticket":
        esc.state = Escalation.State.TICKET
        esc.save()
        summary = f"Ticket only{again}: nobody is paged (policy {policy.name}, {incident.severity})"
    elif mode == "business_hours":
        esc.next_due_at = next_business_instant(incident, now)
        esc.save()
        when = "now" if esc.next_due_at <= now else f"at {esc.next_due_at:%Y-%m-%d %H:%M} UTC"
        summary = f"Escalation started{again} (policy {policy.name}, {sev}, low urgency): business hours, first step {when}"
    else:
        esc.next_due_at = now
        esc.save()
        summary = f"Escalation started{again} (policy {policy.name}, {sev}, high urgency): paging now"
    timeline.record(incident, "escalation", actor=ACTOR, summary=summary,
                    changes={"escalation": esc.pk, "policy": policy.pk})
    return esc


def _stop(esc: Escalation, to: str, *, actor: Actor, reason: str) -> None:
    transition_escalation(esc, to, actor=actor, reason=reason)
    pending = Page.objects.filter(escalation=esc, state=Page.State.PENDING).select_related(
        "person", "escalation__incident")
    transition_pages(list(pending), "cancelled", actor=actor)


def on_incidents_changed(event: Any) -> None:
    """IncidentsChanged: start the policy of an open incident; stop it on acknowledgement or close."""
    incidents = list(Incident.objects.filter(pk__in=event.incident_ids))
    latest: dict[int, Escalation] = {}
    for run in Escalation.objects.filter(incident__in=incidents).order_by("incident_id", "run"):
        latest[run.incident_id] = run  # the last run of each incident wins
    paging_now = False
    for incident in incidents:
        esc = latest.get(incident.pk)
        is_open = incident.state in incident_rules.OPEN_STATES
        reopened = esc is not None and esc.state == Escalation.State.RESOLVED and is_open
        if esc is None or reopened:
            if (is_open and incident.acknowledged_at is None) or reopened:
                started = start_escalation(incident, run=esc.run + 1 if esc is not None else 1)
                paging_now = paging_now or (started is not None and started.next_due_at == started.started_at)
            continue
        esc.incident = incident
        if esc.state not in (Escalation.State.ACTIVE, Escalation.State.EXHAUSTED, Escalation.State.TICKET):
            if esc.state == Escalation.State.ACKNOWLEDGED and not is_open:
                transition_escalation(esc, "resolved", actor=ACTOR, reason=f"Incident {incident.state}")
            continue
        if not is_open:
            _stop(esc, "resolved", actor=ACTOR, reason=f"Escalation stopped: incident {incident.state}")
        elif _acknowledged_during(incident, esc) and esc.state != Escalation.State.TICKET:
            by = _acknowledger(incident)
            where = f"step {esc.step_index}" if esc.step_index else "before the first step"
            _stop(esc, "acknowledged", actor=by or ACTOR,
                  reason=f"Escalation stopped: acknowledged by {by.get_username() if by else 'someone'} at {where}")
    if paging_now:  # the first step now, not at the next periodic pass (the task row commits with the incident)
        from .tasks import run_escalations

        run_escalations.enqueue()


def _acknowledger(incident: Incident) -> Any:
    """Who moved the incident to acknowledged (the latest such timeline entry's user)."""
    entry = (timeline.for_object(incident).filter(verb="transition", summary__startswith="triggered → acknowledged")
             .select_related("actor").order_by("-at", "-id").first())
    return entry.actor if entry is not None else None


def _acknowledged_during(incident: Incident, esc: Escalation) -> bool:
    """Whether the incident was acknowledged for this run (a reopened incident keeps its first
    acknowledgement, which does not stop the run its reopening started)."""
    if incident.acknowledged_at is None:
        return False
    return esc.run <= 1 or incident.acknowledged_at >= esc.started_at


@transaction.atomic
def acknowledge(incident: Incident, *, actor: Any, reason: str = "") -> Incident:
    """Acknowledge the incident: a triggered one moves to acknowledged (its escalation stops through
    IncidentsChanged); an open one whose escalation still runs (a reopened incident) stops it here."""
    from opsdesk.incidents.services import transition_incident

    if incident.state == "triggered":
        return transition_incident(incident, "acknowledged", actor=actor, reason=reason)
    if incident.state not in incident_rules.OPEN_STATES:
        raise Conflict(f"INC-{incident.pk} is {incident.state}; there is nothing to acknowledge.")
    esc = Escalation.objects.select_for_update().filter(incident=incident).order_by("-run").first()
    if esc is not None and esc.state in (Escalation.State.ACTIVE, Escalation.State.EXHAUSTED):
        esc.incident = incident
        who = getattr(actor, "get_username", lambda: str(actor))()
        how = f" ({reason})" if reason else ""
        _stop(esc, "acknowledged", actor=actor, reason=f"Escalation stopped: acknowledged by {who}{how}")
    return incident  # already acknowledged: nothing more to stop


@transaction.atomic
def escalate_now(incident: Incident, *, actor: Actor) -> Escalation:
    """Run the next step now (someone asked to escalate)."""
    esc = Escalation.objects.select_for_update().filter(incident=incident).order_by("-run").first()
    if esc is None or esc.state != Escalation.State.ACTIVE:
        state = esc.state if esc else "not started"
        raise Conflict(f"The escalation of INC-{incident.pk} is {state}; only an active escalation can be escalated.")
    now = clock.now()
    timeline.record(incident, "escalation", actor=actor, summary="Asked to escalate: the next step runs now",
                    changes={"escalation": esc.pk})
    esc.incident = incident
    _run_step(esc, now)
    return esc


# -- the engine: advance due escalations, send due pages -------------------------------------------


def _due_escalations(now: dt.datetime) -> QuerySet[Escalation]:
    return Escalation.objects.filter(state=Escalation.State.ACTIVE, next_due_at__lte=now)


def advance_due(now: dt.datetime | None = None) -> int:
    """Run every due step (one transaction per escalation, skip those another worker holds); how many."""
    now = now or clock.now()
    done = 0
    ids = list(_due_escalations(now).order_by("next_due_at").values_list("id", flat=True)[:BATCH * 10])
    for pk in ids:
        with transaction.atomic():
            esc = (_due_escalations(now).select_for_update(skip_locked=True, of=("self",))
                   .select_related("incident", "policy").filter(pk=pk).first())
            if esc is None:
                continue  # another worker took it, or it stopped meanwhile
            _run_step(esc, now)
            done += 1
    return done


def _run_step(esc: Escalation, now: dt.datetime) -> None:
    """Decide the step and its pages in one transaction (the idempotency keys go with the decision)."""
    steps = list(esc.policy.steps.select_related("schedule", "person").order_by("position")) if esc.policy else []
    picked = rules.step_to_run(esc.step_index, esc.cycle, len(steps), esc.policy.repeat if esc.policy else 0)
    incident = esc.incident
    if picked is None:
        transition_escalation(esc, "exhausted", actor=ACTOR,
                              reason=f"Escalation exhausted: nobody acknowledged after {len(steps)} step(s)"
                                     f" × {esc.cycle + 1} cycle(s)")
        notify.notify([incident.owner], f"Nobody acknowledged INC-{incident.pk}: escalation exhausted",
                      url=f"/paging/incidents/{incident.pk}/")
        return
    index, cycle = picked
    step = steps[index]
    people, label = targets.resolve(step, incident, now)
    by_person: dict[int, list[NotificationRule]] = {}
    for r in NotificationRule.objects.filter(person__in=people, urgency=esc.urgency).select_related("contact_method"):
        by_person.setdefault(r.person_id, []).append(r)
    profiles = {p.person_id: p for p in PagingProfile.objects.filter(person__in=people)} if esc.urgency == "low" else {}
    pages = [p for person in people
             for p in _plan(esc, step.position, cycle, person, now, by_person.get(person.pk, []), profiles.get(person.pk))]
    Page.objects.bulk_create(pages, ignore_conflicts=True, batch_size=500)
    if len(pages) > FAN_OUT:  # a second worker shares the sending (skip_locked splits the pages)
        from .tasks import send_pages

        send_pages.enqueue()
    how = ", ".join(f"{p.person.get_username()} by {p.kind}" + ("" if p.due_at <= now else f" at {p.due_at:%H:%M} UTC")
                    for p in pages) or "nobody could be reached"
    attempt = f" (repeat {cycle})" if cycle else ""
    timeline.record(incident, "escalation", actor=ACTOR, summary=f"Step {index + 1}{attempt}: paged {label}: {how}",
                    changes={"escalation": esc.pk, "step": index + 1, "cycle": cycle, "pages": len(pages)})
    esc.step_index, esc.cycle = index + 1, cycle
    esc.next_due_at = now + dt.timedelta(minutes=step.wait_minutes)
    esc.save(update_fields=["step_index", "cycle", "next_due_at"])


def _plan(esc: Escalation, position: int, cycle: int, person: Any, now: dt.datetime,
          person_rules: list[NotificationRule], profile: PagingProfile | None) -> list[Page]:
    """The pages for one person: one per notification rule of the urgency (default: email at once)."""
    incident_id = esc.incident_id
    planned = []
    choices: list[NotificationRule | None] = list(person_rules) or [None]
    for rule in choices:
        method: ContactMethod | None = rule.contact_method if rule else None
        due = now + dt.timedelta(minutes=rule.delay_minutes if rule else 0)
        if esc.urgency == "low" and profile is not None:
            due = rules.after_quiet_hours(due, profile.time_zone, profile.quiet_start, profile.quiet_end)
        tag = f"r{rule.pk}" if rule else "email"
        planned.append(Page(
            escalation=esc, position=position, cycle=cycle, person=person, contact_method=method, rule=rule,
            kind=method.kind if method else "email", address=(method.address if method else "") or "",
            endpoint_id=method.endpoint_id if method else None, due_at=due,
            idempotency_key=rules.page_key(incident_id, position, person.pk, cycle, tag, esc.run),
        ))
    return planned


def _due_pages(now: dt.datetime) -> QuerySet[Page]:
    return Page.objects.filter(state=Page.State.PENDING, due_at__lte=now)


def send_due(now: dt.datetime | None = None, *, batch: int = SEND_BATCH) -> int:
    """Send every due page once: a batch locked (skip_locked, so workers share the pages), handed
    over on one SMTP connection and marked sent in the same transaction."""
    now = now or clock.now()
    sent = 0
    if not _due_pages(now).exists():
        return 0
    connection = get_connection()
    try:
        connection.open()  # one SMTP session for every batch (else one per message)
    except Exception as exc:
        logger.warning("SMTP connection failed: %s", exc)
    try:
        while True:
            with transaction.atomic():
                pages = list(_due_pages(now).order_by("due_at", "id")
                             .select_for_update(skip_locked=True, of=("self",))
                             .select_related("person", "endpoint", "escalation__incident")[:batch])
                if not pages:
                    break
                done, failed = [], []
                for page, urls in zip(pages, deliver.links_for(pages), strict=True):
                    try:
                        page.detail = deliver.deliver(page, connection, urls)
                        done.append(page)
                    except Exception as exc:  # the channel's failure is the page's, recorded
                        logger.warning("Page %s failed: %s", page.idempotency_key, exc)
                        page.detail = f"{type(exc).__name__}: {exc}"[:1000]
                        failed.append(page)
                # Marked inside the transaction of the hand-off: a crash before commit re-sends
                # this batch's pages (same Message-IDs); a lost page is not possible.
                transition_pages(done, "sent", actor=ACTOR)
                transition_pages(failed, "failed", actor=ACTOR)
                sent += len(done)
    finally:
        connection.close()
    return sent
