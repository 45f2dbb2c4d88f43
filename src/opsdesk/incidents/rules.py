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
# Correlation's default windows (each integration may set its own): grouping by site or alert name
# looks back this far from an open incident's detection; reopening, this far from a resolution.
CORRELATION_WINDOW = dt.timedelta(hours=1)
REOPEN_WINDOW = dt.timedelta(hours=1)
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
class KnownIncident:
    """What correlation knows of an incident: where it is, its state, and the integration and
    signature (alert name) of the alert that opened it. Open ones attract alerts; resolved ones
    only for a moment (reopen)."""

    id: int
    detected_at: dt.datetime
    service_ids: frozenset[int]
    site_ids: frozenset[int]
    integration_id: int | None = None
    signature: str = ""
    state: str = "triggered"
    resolved_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        """Whether it is still being worked on (any of the open states)."""
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class Windows:
    """How far correlation looks back (each integration's own; these defaults are the rules').

    `group`: an alert joins an open incident on the same site, or opened by the same alert from
    the same integration, detected at most this long ago (and storms are counted over it).
    `reopen`: an alert on the service (or the same alert) of an incident resolved at most this
    long ago reopens it. An open incident on the alert's service or upstream has no window.
    """

    group: dt.timedelta = CORRELATION_WINDOW
    reopen: dt.timedelta = REOPEN_WINDOW


DEFAULT_WINDOWS = Windows()

# An integration opening more incidents than this within the window is in an alert storm: further
# alerts join its newest incident instead of paging again and again.
STORM_LIMIT = 20


@dataclass(frozen=True)
class Decision:
    """Where an alert goes: join `incident_id` (or open a new one when None), with the relation and why."""

    incident_id: int | None
    relation: str
    reason: str


@dataclass(frozen=True)
class _Alert:
    """The alert being correlated, with the readable names its reasons use."""

    service_id: int | None
    site_id: int | None
    at: dt.datetime
    integration_id: int | None
    signature: str
    names: Mapping[str, str]

    def service(self, pk: int | None) -> str:
        return self.names.get(f"service:{pk}", f"service {pk}")

    def site(self, pk: int | None) -> str:
        return self.names.get(f"site:{pk}", f"site {pk}")

    def same_alert(self, incident: KnownIncident) -> bool:
        return bool(self.integration_id is not None and self.signature and incident.integration_id == self.integration_id
                    and incident.signature == self.signature)


def correlate(
    service_id: int | None,
    site_id: int | None,
    at: dt.datetime,
    incidents: Sequence[KnownIncident],
    upstream: Iterable[int],
    names: Mapping[str, str],
    windows: Windows = DEFAULT_WINDOWS,
    *,
    integration_id: int | None = None,
    signature: str = "",
    storm_limit: int = STORM_LIMIT,
) -> Decision:
    """Join the newest open incident on the same service (however long it has been open); else,
    within the group window, one on the same site or one its integration opened for the same
    alert name; else an open one on an upstream dependency of the service (the alert is its
    symptom); else reopen one on the same service (or for the same alert) resolved within the
    reopen window; else, unless the integration already opened `storm_limit` incidents within
    the group window (a storm: join the newest), open one. Each reason says only what is true.

    `names` gives readable names for the reasons ("service:3" -> "EPR", "site:2" -> "DC2").
    """
    alert = _Alert(service_id, site_id, at, integration_id, signature, names)
    # An incident opened later cannot take an earlier alert.
    known = sorted((i for i in incidents if i.detected_at <= at), key=lambda i: (i.detected_at, i.id), reverse=True)
    live = [i for i in known if i.is_open]
    recent = [i for i in live if at - i.detected_at <= windows.group]
    upstream_ids = set(upstream) - ({service_id} if service_id is not None else set())
    return (
        _same_service(alert, live)
        or _grouped(alert, recent, windows.group)
        or _symptom(alert, live, upstream_ids)
        or _reopen(alert, known, windows.reopen)
        or _storm(alert, recent, windows.group, storm_limit)
        or Decision(None, "trigger", _why_new(alert, known, bool(upstream_ids), windows))
    )


def _minutes(window: dt.timedelta) -> int:
    return int(window.total_seconds() // 60)


def _same_service(alert: _Alert, live: Sequence[KnownIncident]) -> Decision | None:
    if alert.service_id is None:
        return None
    for incident in live:
        if alert.service_id in incident.service_ids:
            return Decision(incident.id, "same_service", f"Same service ({alert.service(alert.service_id)}) as "
                            f"INC-{incident.id}, still open (opened {_ago(alert.at - incident.detected_at)} ago).")
    return None


def _grouped(alert: _Alert, recent: Sequence[KnownIncident], window: dt.timedelta) -> Decision | None:
    """An open incident detected within the window on the same site, else for the same alert."""
    within = f"within {_minutes(window)} min"
    if alert.site_id is not None:
        for incident in recent:
            if alert.site_id in incident.site_ids:
                return Decision(incident.id, "same_site", f"Same site ({alert.site(alert.site_id)}) as INC-{incident.id}, "
                                f"opened {_ago(alert.at - incident.detected_at)} ago ({within}).")
    for incident in recent:
        if alert.same_alert(incident):
            return Decision(incident.id, "same_signature", f"Same alert ({alert.signature}) from the same integration "
                            f"as INC-{incident.id}, opened {_ago(alert.at - incident.detected_at)} ago ({within}).")
    return None


def _symptom(alert: _Alert, live: Sequence[KnownIncident], upstream_ids: set[int]) -> Decision | None:
    for incident in live:
        shared = sorted(upstream_ids & incident.service_ids)
        if shared:
            return Decision(incident.id, "upstream", f"{alert.service(alert.service_id)} depends on "
                            f"{alert.service(shared[0])}, which already has INC-{incident.id} open: joined as a symptom.")
    return None


def _recently_resolved(alert: _Alert, known: Sequence[KnownIncident], window: dt.timedelta) -> list[KnownIncident]:
    """Finished incidents on the alert's service, or opened by the same alert, resolved within the window (newest first)."""
    found = [
        i for i in known
        if not i.is_open and i.resolved_at is not None and alert.at - i.resolved_at <= window
        and ((alert.service_id is not None and alert.service_id in i.service_ids) or alert.same_alert(i))
    ]
    return sorted(found, key=lambda i: (i.resolved_at or i.detected_at, i.id), reverse=True)


def _resolved_ago(alert: _Alert, incident: KnownIncident) -> str:
    resolved = incident.resolved_at or incident.detected_at
    if resolved > alert.at:
        return "resolved after this alert began"
    return f"resolved {_ago(alert.at - resolved)} ago"


def _reopen(alert: _Alert, known: Sequence[KnownIncident], window: dt.timedelta) -> Decision | None:
    for incident in _recently_resolved(alert, known, window):
        if incident.state != "resolved":
            continue  # closed is final: the alert opens a new incident (and says so)
        same = (f"Same service ({alert.service(alert.service_id)})" if alert.service_id in incident.service_ids
                else f"Same alert ({alert.signature}) from the same integration")
        return Decision(incident.id, "reopened", f"{same} as INC-{incident.id}, {_resolved_ago(alert, incident)} "
                        f"(within {_minutes(window)} min): reopened, it came back.")
    return None


def _storm(alert: _Alert, recent: Sequence[KnownIncident], window: dt.timedelta, limit: int) -> Decision | None:
    if alert.integration_id is None:
        return None
    storm = [i for i in recent if i.integration_id == alert.integration_id]
    if len(storm) < limit:
        return None
    return Decision(storm[0].id, "storm", f"Alert storm: this integration opened {len(storm)} incidents within "
                    f"{_minutes(window)} min; joined the newest, INC-{storm[0].id}, instead of paging again.")


def _why_new(alert: _Alert, known: Sequence[KnownIncident], has_upstream: bool, windows: Windows) -> str:
    """Why an alert opens a new incident: what was looked for and not found, each clause true."""
    group = _minutes(windows.group)
    live = [i for i in known if i.is_open]
    clauses = []
    if alert.service_id is not None:
        clauses.append(f"No open incident on {alert.service(alert.service_id)}"
                       + (" or its upstream dependencies" if has_upstream else ""))
    else:
        clauses.append("No service known for this alert")
    if alert.site_id is not None:
        older = next((i for i in live if alert.site_id in i.site_ids), None)
        clauses.append(f"none on site {alert.site(alert.site_id)} opened within {group} min"
                       + (f" (INC-{older.id} there was opened {_ago(alert.at - older.detected_at)} ago)" if older else ""))
    if alert.integration_id is not None and alert.signature:
        older = next((i for i in live if alert.same_alert(i)), None)
        clauses.append(f"none for this alert ({alert.signature}) from this integration within {group} min"
                       + (f" (INC-{older.id} was opened {_ago(alert.at - older.detected_at)} ago)" if older else ""))
    if alert.service_id is not None or (alert.integration_id is not None and alert.signature):
        finished = _recently_resolved(alert, known, windows.reopen)
        if finished:  # only closed ones remain: a resolved one would have been reopened
            clauses.append(f"INC-{finished[0].id}, {_resolved_ago(alert, finished[0])}, is closed "
                           "(a closed incident stays closed)")
        else:
            clauses.append(f"none resolved within {_minutes(windows.reopen)} min")
    return "; ".join(clauses) + "."


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
