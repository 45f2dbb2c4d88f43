"""Pure decisions of the learning loop: the blameless postmortem draft, the machines of postmortems,
action items and problems, overdue actions, and which recurring incidents make a problem.

Plain data in, plain data out: the services gather the facts and write the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from opsdesk.core.fsm import Machine

# -- machines --------------------------------------------------------------------------------------

# Published goes back to draft (a correction); it leaves the client view until published again.
POSTMORTEM_MACHINE = Machine.build(
    "postmortem",
    ("draft", "in_review", "published"),
    {"draft": ["in_review"], "in_review": ["draft", "published"], "published": ["draft"]},
)
EDITABLE_POSTMORTEM_STATES = frozenset({"draft", "in_review"})
# A postmortem reviews a finished incident.
REVIEWABLE_INCIDENT_STATES = frozenset({"resolved", "closed"})

ACTION_MACHINE = Machine.build(
    "action item",
    ("open", "in_progress", "done", "wont_do"),
    {
        "open": ["in_progress", "done", "wont_do"],
        "in_progress": ["open", "done", "wont_do"],
        "done": ["open"],
        "wont_do": ["open"],
    },
)
OPEN_ACTION_STATES = frozenset({"open", "in_progress"})

PROBLEM_MACHINE = Machine.build(
    "problem",
    ("proposed", "open", "known_error", "resolved", "dismissed"),
    {
        "proposed": ["open", "known_error", "dismissed"],
        "open": ["known_error", "resolved", "dismissed"],
        "known_error": ["open", "resolved"],
        "resolved": ["open"],
        "dismissed": ["open"],
    },
)
# Client users see problems that staff have accepted; proposals and dismissals are internal triage.
CLIENT_VISIBLE_PROBLEM_STATES = frozenset({"open", "known_error", "resolved"})

# -- thresholds (the services read overrides from settings and pass them in) ------------------------

FAST_DETECTION = dt.timedelta(minutes=5)
FAST_ACKNOWLEDGEMENT = dt.timedelta(minutes=5)
FAST_MITIGATION = dt.timedelta(hours=1)
SLOW_DETECTION = dt.timedelta(minutes=30)
SLOW_ACKNOWLEDGEMENT = dt.timedelta(minutes=30)
MANY_ALERTS = 20
PROBLEM_MIN_INCIDENTS = 3
PROBLEM_WINDOW_DAYS = 30
OVERDUE_REMINDER_DAYS = 1

TO_BE_COMPLETED = "To be completed by the review."
SECTIONS = ("summary", "impact", "detection", "response", "contributing_factors", "went_well", "was_hard")
# Timeline verbs that tell the story of the response (alerts are counted, notes are chatter).
RESPONSE_VERBS = frozenset({"created", "transition", "transitioned", "owner", "role", "update", "linked_change"})
STEP_MAX = 200  # characters of one response step (an update's whole body belongs on the incident page)
REOPEN_VERBS = frozenset({"reopened", "reopen"})
# Entries that say a status update was late (the reminder job's).
UPDATE_OVERDUE_VERBS = frozenset({"reminder", "update_overdue"})
CLOSED_STATES = frozenset({"resolved", "closed"})
# Words that read as blame; the draft never uses them, and the page points them out in edited text.
BLAME_WORDS = (
    "blame", "fault", "careless", "negligen", "human error", "mistake", "should have", "failed to",
    "incompetent", "sloppy", "culprit",
)
IMPACT_LABELS = {"services": "Services", "downstream": "Downstream services", "sites": "Sites"}


# -- facts -----------------------------------------------------------------------------------------


class Entry(NamedTuple):
    """One timeline entry of the incident, as plain data."""

    at: dt.datetime
    actor: str
    verb: str
    summary: str
    changes: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class IncidentFacts:
    """What the draft is written from: the incident's plain facts and its timeline."""

    title: str
    severity: str
    started_at: dt.datetime
    detected_at: dt.datetime
    services: tuple[str, ...] = ()
    impact: Mapping[str, Any] | None = None
    acknowledged_at: dt.datetime | None = None
    mitigated_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    timeline: tuple[Entry, ...] = ()
    change: str = ""
    alert_count: int = 0
    update_overdue: bool = False


class Recurrence(NamedTuple):
    """One incident, as the problem proposal sees it."""

    incident_id: int
    service_ids: tuple[int, ...]
    signature: str
    detected_at: dt.datetime


class HasDue(Protocol):
    """What overdue checks read of an action item."""

    state: str
    due_on: dt.date


# -- formatting ------------------------------------------------------------------------------------


def human_duration(delta: dt.timedelta | None) -> str:
    """A duration as people write it: "1 h 25 min", "2 d 3 h", "under 1 min"."""
    if delta is None:
        return "unknown"
    minutes = max(int(delta.total_seconds()), 0) // 60
    if minutes < 1:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p)


def utc_text(at: dt.datetime | None) -> str:
    """An instant in UTC, the same wherever the reader is: "2025-03-01 09:14 UTC"."""
    if at is None:
        return "unknown"
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _between(start: dt.datetime | None, end: dt.datetime | None) -> dt.timedelta | None:
    return end - start if start is not None and end is not None else None


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _names(value: Any) -> list[str]:
    """Readable names from an impact list: strings, or dicts with a name or code."""
    if not isinstance(value, list | tuple):
        return []
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and (item.get("name") or item.get("code")):
            out.append(str(item.get("name") or item.get("code")))
    return out


# -- the draft -------------------------------------------------------------------------------------


def _impact_end(facts: IncidentFacts) -> dt.datetime | None:
    return facts.mitigated_at or facts.resolved_at


def _summary(facts: IncidentFacts) -> str:
    services = ", ".join(facts.services) or "no named service"
    text = f"{facts.severity.upper()} incident \"{facts.title}\" affecting {services}."
    end = _impact_end(facts)
    if end is not None:
        text += f" Impact lasted {human_duration(end - facts.started_at)}"
        text += f" ({utc_text(facts.started_at)} to {utc_text(end)})."
    if facts.resolved_at is not None:
        text += f" Resolved {human_duration(facts.resolved_at - facts.started_at)} after it began."
    return text


def _impact(facts: IncidentFacts) -> str:
    impact = facts.impact or {}
    lines = []
    if facts.services:
        lines.append(f"Services: {', '.join(facts.services)}.")
    for key in ("downstream", "sites"):
        names = _names(impact.get(key))
        if names:
            lines.append(f"{IMPACT_LABELS[key]}: {', '.join(names)}.")
    clients = impact.get("clients")
    if isinstance(clients, list | tuple) and clients:
        # A count only: a published postmortem is read by each affected client.
        lines.append(f"Clients affected: {len(clients)}.")
    end = _impact_end(facts)
    if end is None:
        lines.append(f"Duration of impact: unknown (began {utc_text(facts.started_at)}).")
    else:
        lines.append(
            f"Duration of impact: {human_duration(end - facts.started_at)}"
            f" ({utc_text(facts.started_at)} to {utc_text(end)})."
        )
    return _bullets(lines)


def _detection(facts: IncidentFacts) -> str:
    lines = [
        f"The failure began at {utc_text(facts.started_at)} and was detected at {utc_text(facts.detected_at)}"
        f" (time to detect: {human_duration(facts.detected_at - facts.started_at)})."
    ]
    if facts.acknowledged_at is not None:
        lines.append(
            f"Acknowledged at {utc_text(facts.acknowledged_at)}"
            f" (time to acknowledge: {human_duration(facts.acknowledged_at - facts.detected_at)} after detection)."
        )
    else:
        lines.append("The incident was never acknowledged before it was resolved.")
    if facts.alert_count:
        noun = "alert was" if facts.alert_count == 1 else "alerts were"
        lines.append(f"{facts.alert_count} {noun} correlated into it.")
    return _bullets(lines)


def _severity_change(entry: Entry) -> tuple[str, str] | None:
    pair = (entry.changes or {}).get("severity")
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return str(pair[0]), str(pair[1])
    return None


def _step_text(entry: Entry) -> str:
    severity = _severity_change(entry) if entry.verb not in RESPONSE_VERBS else None
    if severity:
        return f"Severity {severity[0].upper()} → {severity[1].upper()}"
    text = " ".join(entry.summary.split()) or entry.verb.replace("_", " ").capitalize()
    return text if len(text) <= STEP_MAX else text[:STEP_MAX - 1].rstrip() + "…"


def _response(facts: IncidentFacts) -> str:
    shown = [e for e in facts.timeline if e.verb in RESPONSE_VERBS or _severity_change(e)]
    steps = [(e.at, _step_text(e)) for e in shown]
    reached = {step[1] for step in map(_state_change, shown) if step}
    for state, label, at in (("monitoring", "Impact mitigated", facts.mitigated_at), ("resolved", "Resolved", facts.resolved_at)):
        if at is not None and state not in reached:
            steps.append((at, label))
    steps.sort(key=lambda step: step[0])  # stable: entries at the same instant keep their order
    return _bullets(f"{utc_text(at)} — {text}" for at, text in steps) if steps else TO_BE_COMPLETED


def _contributing(facts: IncidentFacts) -> str:
    lines = []
    if facts.change:
        lines.append(
            f"The change {facts.change} was linked to this incident. Review how the change was planned,"
            " tested and rolled out, and what would have shown its effect sooner."
        )
    lines.append(f"Conditions that allowed the failure and made it harder to handle: {TO_BE_COMPLETED.lower()}")
    return _bullets(lines)


def _state_change(entry: Entry) -> tuple[str, str] | None:
    """(before, after) when the entry records a change of state."""
    state = (entry.changes or {}).get("state")
    if isinstance(state, list | tuple) and len(state) == 2:
        return str(state[0]), str(state[1])
    return None


def _reopened(facts: IncidentFacts) -> bool:
    for e in facts.timeline:
        step = _state_change(e)
        if e.verb in REOPEN_VERBS or (step and step[0] in CLOSED_STATES and step[1] not in CLOSED_STATES):
            return True
    return False


def went_well_hints(facts: IncidentFacts) -> list[str]:
    """What the timeline shows went well."""
    hints = []
    detect = facts.detected_at - facts.started_at
    ack = _between(facts.detected_at, facts.acknowledged_at)
    mitigate = _between(facts.started_at, _impact_end(facts))
    if detect <= FAST_DETECTION:
        hints.append(f"Detected within {human_duration(FAST_DETECTION)} of the failure ({human_duration(detect)}).")
    if ack is not None and ack <= FAST_ACKNOWLEDGEMENT:
        hints.append(f"Acknowledged within {human_duration(FAST_ACKNOWLEDGEMENT)} of detection ({human_duration(ack)}).")
    if mitigate is not None and mitigate <= FAST_MITIGATION:
        hints.append(f"Impact stopped within {human_duration(FAST_MITIGATION)} ({human_duration(mitigate)}).")
    if 1 < facts.alert_count < MANY_ALERTS:
        hints.append(f"{facts.alert_count} alerts were grouped into this one incident.")
    return hints


def was_hard_hints(facts: IncidentFacts) -> list[str]:
    """What the timeline shows was hard."""
    hints = []
    detect = facts.detected_at - facts.started_at
    ack = _between(facts.detected_at, facts.acknowledged_at)
    if detect > SLOW_DETECTION:
        hints.append(f"Detection took {human_duration(detect)}: what signal would have shown the failure sooner?")
    if ack is not None and ack > SLOW_ACKNOWLEDGEMENT:
        hints.append(f"Acknowledgement took {human_duration(ack)} after detection: did the page reach a responder?")
    if facts.update_overdue or any(e.verb in UPDATE_OVERDUE_VERBS for e in facts.timeline):
        hints.append("A status update was overdue at least once: what kept the update cadence from being met?")
    if _reopened(facts):
        hints.append("The incident was reopened after being resolved: what made the first resolution look complete?")
    if facts.alert_count >= MANY_ALERTS:
        hints.append(f"{facts.alert_count} alerts were correlated into this incident: did the volume hide the signal?")
    return hints


def draft_postmortem(facts: IncidentFacts) -> dict[str, str]:
    """A blameless first draft of every section, from the incident's facts; people then edit it."""
    went_well, was_hard = went_well_hints(facts), was_hard_hints(facts)
    return {
        "summary": _summary(facts),
        "impact": _impact(facts),
        "detection": _detection(facts),
        "response": _response(facts),
        "contributing_factors": _contributing(facts),
        "went_well": _bullets(went_well) if went_well else TO_BE_COMPLETED,
        "was_hard": _bullets(was_hard) if was_hard else TO_BE_COMPLETED,
    }


def blame_words(text: str) -> list[str]:
    """The words of `text` that can read as blame (the page points them out, it does not refuse)."""
    lowered = text.casefold()
    return [w for w in BLAME_WORDS if w in lowered]


def publish_problems(sections: Mapping[str, str]) -> list[str]:
    """Why a postmortem cannot be published yet: sections left empty or still to be completed."""
    problems = []
    for name in SECTIONS:
        text = (sections.get(name) or "").strip()
        label = name.replace("_", " ")
        if not text:
            problems.append(f"{label} is empty")
        elif TO_BE_COMPLETED.casefold().rstrip(".") in text.casefold():
            problems.append(f"{label} still says '{TO_BE_COMPLETED}'")
    return problems


# -- actions ---------------------------------------------------------------------------------------


def is_overdue(action: HasDue, today: dt.date) -> bool:
    """An action still open or in progress after its due day."""
    return action.state in OPEN_ACTION_STATES and action.due_on < today


def needs_overdue_notice(
    action: HasDue, notified_on: dt.date | None, today: dt.date, every_days: int = OVERDUE_REMINDER_DAYS
) -> bool:
    """Whether to tell the owner today: overdue, and not told within the last `every_days` days."""
    if not is_overdue(action, today):
        return False
    return notified_on is None or (today - notified_on).days >= max(every_days, 1)


# -- problems --------------------------------------------------------------------------------------


def _clusters(items: Sequence[Recurrence], minimum: int, window: dt.timedelta) -> list[int]:
    """Ids of the incidents inside any `window`-long span holding at least `minimum` of them."""
    ordered = sorted(items, key=lambda r: (r.detected_at, r.incident_id))
    chosen: set[int] = set()
    start = 0
    for end in range(len(ordered)):
        while ordered[end].detected_at - ordered[start].detected_at > window:
            start += 1
        if end - start + 1 >= minimum:
            chosen.update(r.incident_id for r in ordered[start:end + 1])
    return sorted(chosen)


def propose_problems(
    incidents: Iterable[Recurrence],
    *,
    min_incidents: int = PROBLEM_MIN_INCIDENTS,
    window: dt.timedelta = dt.timedelta(days=PROBLEM_WINDOW_DAYS),
) -> list[tuple[int, str, list[int]]]:
    """(service id, signature, incident ids) for each service and signature that recurred:
    at least `min_incidents` incidents within `window`. Blank signatures never count."""
    groups: dict[tuple[int, str], list[Recurrence]] = defaultdict(list)
    for item in incidents:
        if not item.signature.strip():
            continue
        for service_id in dict.fromkeys(item.service_ids):
            groups[(service_id, item.signature)].append(item)
    proposals = []
    for (service_id, signature), items in sorted(groups.items()):
        ids = _clusters(items, max(min_incidents, 1), window)
        if ids:
            proposals.append((service_id, signature, ids))
    return proposals
