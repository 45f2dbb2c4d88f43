"""Pure decisions of paging: the state machines, the severity rule, the policy choice, quiet hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from opsdesk.core.fsm import Machine

ESCALATION_MACHINE = Machine.build(
    "escalation",
    ("active", "acknowledged", "resolved", "exhausted", "ticket"),
    {
        "active": {"acknowledged", "resolved", "exhausted"},
        "exhausted": {"acknowledged", "resolved"},
        "ticket": {"resolved"},
        "acknowledged": {"resolved"},
    },
)
PAGE_MACHINE = Machine.build(
    "page",
    ("pending", "sent", "failed", "cancelled"),
    {"pending": {"sent", "failed", "cancelled"}},
)
MODES = ("page", "business_hours", "ticket")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
ACTIONS = ("acknowledge", "escalate", "resolve", "open")


def mode_for(severity_rules: dict[str, str], severity: str) -> str:
    """What the policy does for this severity: page, business_hours, or ticket (unknown: page)."""
    mode = severity_rules.get(severity, "page")
    return mode if mode in MODES else "page"


def urgency_for(mode: str) -> str:
    """Paging at once is high urgency; business-hours notification is low."""
    return "high" if mode == "page" else "low"


@dataclass(frozen=True)
class PolicyRef:
    """What the choice of a policy needs to know of one policy."""

    id: int
    integration_ids: frozenset[int]
    service_ids: frozenset[int]
    client_id: int | None
    is_default: bool


def choose_policy(policies: Sequence[PolicyRef], *, integration_id: int | None,
                  service_ids: Sequence[int], client_ids: Sequence[int]) -> int | None:
    """The policy for an incident: its integration's, else one of its services' (in the order given,
    most specific first), else its client's, else the default; lowest id breaks ties."""
    ordered = sorted(policies, key=lambda p: p.id)
    if integration_id is not None:
        for p in ordered:
            if integration_id in p.integration_ids:
                return p.id
    for sid in service_ids:
        for p in ordered:
            if sid in p.service_ids:
                return p.id
    for cid in client_ids:
        for p in ordered:
            if p.client_id == cid:
                return p.id
    for p in ordered:
        if p.is_default:
            return p.id
    return None


def after_quiet_hours(at: dt.datetime, time_zone: str, start: dt.time | None, end: dt.time | None) -> dt.datetime:
    """`at`, or the end of the person's quiet hours when `at` falls inside them (spans midnight too)."""
    if start is None or end is None or start == end:
        return at
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # e.g. 22:00-07:00
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return at
    return dt.datetime.combine(end_day, end, tzinfo=zone).astimezone(dt.UTC)


def page_key(incident_id: int, position: int, person_id: int, cycle: int, method: str, run: int = 1) -> str:
    """The idempotency key of one notification: the same decision always yields the same key (a
    reopened incident's later runs are told apart by `r<run>`)."""
    incident = f"{incident_id}" if run <= 1 else f"{incident_id}r{run}"
    return f"{incident}:{position}:{person_id}:{cycle}:{method}"


def step_to_run(step_index: int, cycle: int, steps: int, repeat: int) -> tuple[int, int] | None:
    """(step_index, cycle) of the step to run now, or None when the policy is exhausted: past the
    last step (its wait over, nobody acknowledged) the policy starts again while cycles remain."""
    if steps <= 0:
        return None
    if step_index < steps:
        return step_index, cycle
    if cycle < repeat:
        return 0, cycle + 1
    return None
