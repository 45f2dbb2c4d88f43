"""Pure decisions about incidents: the state machine, severity, update cadence, correlation and
the ranking of "what changed". Plain data in, plain data out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from opsdesk.core.fsm import Machine

STATES = ("triggered", "acknowledged", "investigating", "identified", "monitoring", "resolved", "closed")
MACHINE = Machine.build(
    "incident",
    STATES,
    {
        "triggered": ["acknowledged", "investigating", "identified", "monitoring", "resolved"],
        "acknowledged": ["investigating", "identified", "monitoring", "resolved"],
        "investigating": ["identified", "monitoring", "resolved"],
        "identified": ["investigating", "monitoring", "resolved"],
        "monitoring": ["investigating", "identified", "resolved"],
        "resolved": ["closed", "investigating"],  # reopened when it comes back
        "closed": [],
    },
)
OPEN_STATES = frozenset({"triggered", "acknowledged", "investigating", "identified", "monitoring"})
# Entering these for the first time stamps the incident's metric instants.
STAMPS = {"acknowledged": "acknowledged_at", "monitoring": "mitigated_at", "resolved": "resolved_at", "closed": "closed_at"}
# Moving on from triggered counts as acknowledging it.
ACKNOWLEDGING = frozenset({"acknowledged", "investigating", "identified", "monitoring", "resolved"})
REASON_REQUIRED = frozenset({"resolved", "closed"})

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
# How often each audience must hear from us while the incident is open (a reminder when overdue).
UPDATE_EVERY = {
    "sev1": dt.timedelta(minutes=30),
    "sev2": dt.timedelta(hours=1),
    "sev3": dt.timedelta(hours=4),
    "sev4": dt.timedelta(hours=24),
}
CORRELATION_WINDOW = dt.timedelta(hours=1)
WHAT_CHANGED_LOOKBACK = dt.timedelta(hours=24)


def apply(current: str, target: str) -> str:
    """The state after a transition, or InvalidTransition (409) saying what is allowed."""
    return MACHINE.apply(current, target)


def stamps_for(target: str, already: Mapping[str, dt.datetime | None]) -> list[str]:
    """The metric fields a transition to `target` sets (each only the first time)."""
    fields = []
    if target in ACKNOWLEDGING and not already.get("acknowledged_at"):
        fields.append("acknowledged_at")
    field = STAMPS.get(target)
    if field and field != "acknowledged_at" and not already.get(field):
        fields.append(field)
    if target == "resolved" and not already.get("mitigated_at"):
        fields.append("mitigated_at")  # resolved without a monitoring phase: mitigated then too
    return fields


def severity_for(alert_severity: str, criticality: int | None) -> str:
    """SEV from the alert's severity and the service's criticality (1 low .. 4 critical).

    critical alert on a critical service is SEV1; each step down in either lowers it by one,
    never below SEV4. No service known counts as medium criticality.
    """
    alert_rank = {"critical": 0, "error": 1, "warning": 2, "info": 3}.get(alert_severity, 1)
    service_rank = {4: 0, 3: 0, 2: 1, 1: 2}.get(criticality or 2, 1)
    return SEVERITIES[min(3, alert_rank + service_rank)]


def next_update_due(severity: str, after: dt.datetime) -> dt.datetime:
    """When the next status update is due for an open incident of this severity."""
    return after + UPDATE_EVERY.get(severity, UPDATE_EVERY["sev3"])


def metrics(started: dt.datetime, detected: dt.datetime, acknowledged: dt.datetime | None,
            mitigated: dt.datetime | None, resolved: dt.datetime | None) -> dict[str, int | None]:
    """Seconds to detect, acknowledge, mitigate and resolve (from the start; detect from start to detection)."""
    def seconds(a: dt.datetime, b: dt.datetime | None) -> int | None:
        return None if b is None else max(0, int((b - a).total_seconds()))

    return {
        "time_to_detect": seconds(started, detected),
        "time_to_acknowledge": seconds(detected, acknowledged),
        "time_to_mitigate": seconds(started, mitigated),
        "time_to_resolve": seconds(started, resolved),
    }


# --- correlation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenIncident:
    """What correlation knows of an open incident: where it is, and the integration and signature
    (alert name) of the alert that opened it."""

    id: int
    detected_at: dt.datetime
    service_ids: frozenset[int]
    site_ids: frozenset[int]
    integration_id: int | None = None
    signature: str = ""


# An integration opening more incidents than this within the window is in an alert storm: further
# alerts join its newest incident instead of paging again and again.
STORM_LIMIT = 20


@dataclass(frozen=True)
class Decision:
    """Where an alert goes: join `incident_id` (or open a new one when None), with the relation and why."""

    incident_id: int | None
    relation: str
    reason: str


def correlate(
    service_id: int | None,
    site_id: int | None,
    at: dt.datetime,
    incidents: Sequence[OpenIncident],
    upstream: Iterable[int],
    names: Mapping[str, str],
    window: dt.timedelta = CORRELATION_WINDOW,
    *,
    integration_id: int | None = None,
    signature: str = "",
    storm_limit: int = STORM_LIMIT,
) -> Decision:
    """Join the newest open incident on the same service, else on the same site, else one its
    integration opened for the same alert name, within `window`; else one on an upstream
    dependency of the service (any age: the alert is its symptom); else, unless the integration
    already opened `storm_limit` incidents within the window (a storm: join the newest), open one.

    `names` gives readable names for the reasons ("service:3" -> "EPR", "site:2" -> "DC2").
    """
    known = [i for i in incidents if i.detected_at <= at]  # an incident opened later cannot take an earlier alert
    recent = sorted((i for i in known if at - i.detected_at <= window), key=lambda i: i.detected_at, reverse=True)
    minutes = int(window.total_seconds() // 60)
    if service_id is not None:
        for incident in recent:
            if service_id in incident.service_ids:
                name = names.get(f"service:{service_id}", f"service {service_id}")
                return Decision(incident.id, "same_service", f"Same service ({name}) as INC-{incident.id}, "
                                f"opened {_ago(at - incident.detected_at)} ago (within {minutes} min).")
    if site_id is not None:
        for incident in recent:
            if site_id in incident.site_ids:
                name = names.get(f"site:{site_id}", f"site {site_id}")
                return Decision(incident.id, "same_site", f"Same site ({name}) as INC-{incident.id}, "
                                f"opened {_ago(at - incident.detected_at)} ago (within {minutes} min).")
    if integration_id is not None and signature:
        for incident in recent:
            if incident.integration_id == integration_id and incident.signature == signature:
                return Decision(incident.id, "same_signature", f"Same alert ({signature}) from the same integration as "
                                f"INC-{incident.id}, opened {_ago(at - incident.detected_at)} ago (within {minutes} min).")
    upstream_ids = set(upstream)
    if upstream_ids:
        for incident in sorted(known, key=lambda i: i.detected_at, reverse=True):
            shared = sorted(upstream_ids & incident.service_ids)
            if shared:
                dep = names.get(f"service:{shared[0]}", f"service {shared[0]}")
                own = names.get(f"service:{service_id}", f"service {service_id}")
                return Decision(incident.id, "upstream", f"{own} depends on {dep}, which already has INC-{incident.id} "
                                "open: joined as a symptom.")
    if integration_id is not None:
        storm = [i for i in recent if i.integration_id == integration_id]
        if len(storm) >= storm_limit:
            return Decision(storm[0].id, "storm", f"Alert storm: this integration opened {len(storm)} incidents within "
                            f"{minutes} min; joined the newest, INC-{storm[0].id}, instead of paging again.")
    return Decision(None, "trigger", "No open incident on this service, its site or its upstream dependencies.")


def _ago(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


# --- what changed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Something that changed near the incident: a change, an on-site visit, another event."""

    ref: str
    kind: str  # change | visit | event
    label: str
    start_at: dt.datetime
    end_at: dt.datetime
    state: str
    on_affected: bool  # touches an affected service or site
    on_upstream: bool  # touches an upstream dependency of an affected service
    url: str = ""


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score and the reasons for it, for people to judge."""

    candidate: Candidate
    score: int
    reasons: tuple[str, ...]


def rank_changes(candidates: Iterable[Candidate], started: dt.datetime) -> list[Ranked]:
    """Most likely culprits first: in progress at the start or just finished, on what failed
    (more than on its dependencies), and changes more than visits."""
    out = []
    for c in candidates:
        score, reasons = 0, []
        if c.start_at <= started <= c.end_at:
            score += 50
            reasons.append("in progress when the incident started")
        elif c.end_at <= started:
            gap = started - c.end_at
            score += max(0, 40 - int(gap.total_seconds() // 900) * 5)  # -5 per quarter hour
            reasons.append(f"finished {_ago(gap)} before the incident started")
        else:
            reasons.append("starts after the incident started")
        if c.on_affected:
            score += 30
            reasons.append("touches an affected service or site")
        elif c.on_upstream:
            score += 20
            reasons.append("touches an upstream dependency")
        if c.kind == "change":
            score += 15
            if c.state in ("failed", "rolled_back"):
                score += 10
                reasons.append(f"the change {c.state.replace('_', ' ')}")
        elif c.kind == "visit":
            score += 5
            reasons.append("on-site work")
        out.append(Ranked(c, score, tuple(reasons)))
    return sorted(out, key=lambda r: (-r.score, -r.candidate.end_at.timestamp(), r.candidate.ref))
