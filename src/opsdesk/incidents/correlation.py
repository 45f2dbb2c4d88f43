"""Alerts open or join incidents (`open_or_attach`), called inside alert processing's transaction.

Rules (incidents.rules.correlate): an open incident on the same service, however long it has been
open; the same site, or the same alert name from the same integration, within the integration's
group window; along the dependency graph (an alert on a service whose upstream dependency has an
open incident joins it as a symptom); an incident on the same service resolved within the
integration's reopen window is reopened; an integration in an alert storm joins its newest
incident; otherwise a new incident, paged to its owner. Alerts inside an approved change's
maintenance period never page. Every decision is stored with its reason (IncidentAlert.reason)
and told on the incident's timeline.

Built for batches of thousands of alerts: the open incidents, names, dependency edges and the
default owner are read once per batch; links, timeline entries and alert updates are written in
bulk; impact is recomputed once per incident touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from opsdesk.alerts import rules as alert_rules
from opsdesk.alerts import services as alert_services
from opsdesk.alerts.models import Alert, Integration
from opsdesk.core import clock, events, notify, timeline
from opsdesk.core.actors import OPSDESK
from opsdesk.core.queries import id_list, value_rows
from opsdesk.services import queries as service_queries
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from . import impact, rules
from .events import IncidentsChanged
from .models import Incident, IncidentAlert
from .services import announce, default_owner, transition_incident

logger = logging.getLogger(__name__)


_UNKNOWN = object()


class _New(NamedTuple):
    """What correlation needs of a new alert (read as rows: thousands per batch)."""

    pk: int
    integration_id: int
    service_id: int | None
    site_id: int | None
    first_seen_at: dt.datetime
    started_at: dt.datetime
    severity: str
    summary: str
    labels: dict[str, Any]


class _Batch:
    """What correlating one batch of alerts reads once and writes at the end."""

    def __init__(self, alerts: list[_New]) -> None:
        self.integrations = Integration.objects.select_related("owner").in_bulk({a.integration_id for a in alerts})
        self.criticality = dict(Service.objects.filter(pk__in={a.service_id for a in alerts if a.service_id})
                                .values_list("pk", "criticality"))
        self.edges = service_queries.all_edges()
        self.windows = {pk: rules.Windows(group=dt.timedelta(minutes=i.group_window_minutes),
                                          reopen=dt.timedelta(minutes=i.reopen_window_minutes))
                        for pk, i in self.integrations.items()}
        self.stored = {i.pk: i for i in _candidates(alerts, self.windows.values())}
        self.open = _known_incidents(self.stored.values())
        self.names = _names(alerts, self.open)
        self.upstream: dict[int, set[int]] = {}
        self._owner: Any = _UNKNOWN
        self.touched: dict[int, Incident] = {}
        self.new_services: dict[int, set[int]] = defaultdict(set)
        self.new_sites: dict[int, set[int]] = defaultdict(set)
        self.links: list[IncidentAlert] = []
        self.notes: list[tuple[Incident, str, str]] = []
        self.joins: dict[tuple[int, str], list[tuple[_New, str]]] = defaultdict(list)
        self.placed: dict[int, int] = {}

    def upstream_of(self, service_id: int | None) -> set[int]:
        if service_id is None:
            return set()
        if service_id not in self.upstream:
            self.upstream[service_id] = service_rules.upstream(service_id, self.edges)
        return self.upstream[service_id]

    def owner_for(self, alert: _New) -> Any:
        integration = self.integrations[alert.integration_id]
        if integration.owner_id:
            return integration.owner
        if self._owner is _UNKNOWN:  # looked up once per batch, even when there is no one
            self._owner = default_owner()
        return self._owner

    def incident(self, incident_id: int) -> Incident:
        found = self.touched.get(incident_id)
        if found is None:
            found = self.touched[incident_id] = self.stored[incident_id]
        return found


def open_or_attach(alert_ids: Iterable[int]) -> dict[int, int]:
    """Correlate newly opened alerts: {alert id: incident id} for those that opened or joined one."""
    alerts = [_New(*row) for row in value_rows(
        Alert.objects.filter(pk__in=id_list(alert_ids), maintenance_change__isnull=True).order_by("id"), *_New._fields
    )]
    if not alerts:
        return {}
    batch = _Batch(alerts)
    for alert in alerts:
        signature = _signature(alert)
        decision = rules.correlate(
            alert.service_id, alert.site_id, alert.first_seen_at, list(batch.open.values()),
            batch.upstream_of(alert.service_id), batch.names, batch.windows[alert.integration_id],
            integration_id=alert.integration_id, signature=signature,
        )
        if decision.incident_id is None:
            incident = _open(batch, alert, signature, decision.reason)
            if incident is None:
                continue
        else:
            incident = batch.incident(decision.incident_id)
            if decision.relation == "reopened":
                incident = _reopen(batch, incident, alert, decision.reason)
            _join(batch, incident, alert, decision)
        batch.placed[alert.pk] = incident.pk
        batch.links.append(IncidentAlert(incident_id=incident.pk, alert_id=alert.pk, relation=decision.relation,
                                         reason=decision.reason[:500], linked_at=clock.now()))
    _write(batch)
    return batch.placed


def _write(batch: _Batch) -> None:
    IncidentAlert.objects.bulk_create(batch.links, ignore_conflicts=True)
    by_incident: dict[int, list[int]] = defaultdict(list)
    for alert_id, incident_id in batch.placed.items():
        by_incident[incident_id].append(alert_id)
    for incident_id, alert_ids in by_incident.items():
        alert_services.link_incident(alert_ids, incident_id)
    for incident_id, service_ids in batch.new_services.items():
        batch.touched[incident_id].services.add(*service_ids)
    for incident_id, site_ids in batch.new_sites.items():
        batch.touched[incident_id].sites.add(*site_ids)
    timeline.record_each(batch.notes + _join_notes(batch), actor_label="opsdesk")
    # Impact (and what changed) depend on the services and sites: recomputed only where they changed.
    for incident_id in set(batch.new_services) | set(batch.new_sites):
        impact.refresh(batch.touched[incident_id], batch.edges)
    opened = tuple(sorted({incident.pk for incident, verb, _summary in batch.notes if verb == "created"}))
    for incident_id in opened:
        announce(batch.touched[incident_id], "incident.opened")
    if opened:
        events.publish(IncidentsChanged(opened))


JOINS_SHOWN = 3  # alerts joining an incident in one batch told one by one; more are told together


def _join_notes(batch: _Batch) -> list[tuple[Incident, str, str]]:
    """Timeline entries for the alerts that joined: one each, or one for many (an alert storm must
    not bury the incident's timeline; every alert's own reason stays on its IncidentAlert)."""
    notes = []
    for (incident_id, _relation), joined in batch.joins.items():
        incident = batch.touched[incident_id]
        if len(joined) <= JOINS_SHOWN:
            notes += [(incident, "alert", f"Alert {a.pk} joined ({a.summary}). {reason}") for a, reason in joined]
            continue
        names = "; ".join(a.summary for a, _ in joined[:JOINS_SHOWN])
        notes.append((incident, "alert", f"{len(joined)} alerts joined ({names}; …). {joined[-1][1]}"))
    return notes


def _candidates(alerts: list[_New], windows: Iterable[rules.Windows]) -> list[Incident]:
    """The incidents alerts may join: every open one (however old), and those resolved within the
    longest reopen window before the earliest alert (to reopen, or to say that they are closed)."""
    since = min(a.first_seen_at for a in alerts) - max((w.reopen for w in windows), default=rules.REOPEN_WINDOW)
    finished = Incident.objects.filter(state__in=["resolved", "closed"], resolved_at__gte=since)
    return list((Incident.objects.filter(state__in=sorted(rules.OPEN_STATES)) | finished)
                .prefetch_related("services", "sites"))


def _known(i: Incident) -> rules.KnownIncident:
    return rules.KnownIncident(i.pk, i.detected_at, frozenset(s.pk for s in i.services.all()),
                               frozenset(s.pk for s in i.sites.all()), i.integration_id, i.signature, i.state,
                               i.resolved_at)


def _known_incidents(incidents: Iterable[Incident]) -> dict[int, rules.KnownIncident]:
    return {i.pk: _known(i) for i in incidents}


def _names(alerts: list[_New], incidents: dict[int, rules.KnownIncident]) -> dict[str, str]:
    service_ids = {a.service_id for a in alerts if a.service_id} | {s for i in incidents.values() for s in i.service_ids}
    site_ids = {a.site_id for a in alerts if a.site_id} | {s for i in incidents.values() for s in i.site_ids}
    names = {f"service:{pk}": name for pk, name in Service.objects.filter(pk__in=service_ids).values_list("pk", "name")}
    names.update({f"site:{pk}": code for pk, code in Site.objects.filter(pk__in=site_ids).values_list("pk", "code")})
    return names


def _open(batch: _Batch, alert: _New, signature: str, reason: str) -> Incident | None:
    """A new incident from an alert, paged to its owner (None when there is no one to own it)."""
    owner = batch.owner_for(alert)
    if owner is None:
        logger.warning("alert %s opens no incident: no active incident commander or admin to own it", alert.pk)
        return None
    criticality = batch.criticality.get(alert.service_id) if alert.service_id else None
    severity = rules.severity_for(alert.severity, criticality)
    incident = Incident.objects.create(
        title=alert.summary[:300], severity=severity, owner=owner, started_at=min(alert.started_at, alert.first_seen_at),
        detected_at=alert.first_seen_at, signature=signature, integration_id=alert.integration_id,
        next_update_due_at=rules.next_update_due(severity, alert.first_seen_at),
    )
    services = frozenset([alert.service_id] if alert.service_id else [])
    sites = frozenset([alert.site_id] if alert.site_id else [])
    if services:
        batch.new_services[incident.pk] |= services
    if sites:
        batch.new_sites[incident.pk] |= sites
    batch.open[incident.pk] = rules.KnownIncident(incident.pk, incident.detected_at, services, sites,
                                                  alert.integration_id, signature)
    batch.touched[incident.pk] = incident
    batch.notes.append((incident, "created", f"Opened as {incident.get_severity_display()} by alert {alert.pk} "
                                             f"({alert.summary}). {reason}"))
    notify.notify([owner], f"{incident.get_severity_display()} INC-{incident.pk}: {incident.title}",
                  body=f"Opened by an alert from {batch.integrations[alert.integration_id].name}. Acknowledge it.", url=f"/incidents/{incident.pk}/")
    return incident


def _reopen(batch: _Batch, incident: Incident, alert: _New, reason: str) -> Incident:
    """A resolved incident its alert came back to: investigating again, its owner told."""
    reopened = transition_incident(incident, "investigating", actor=OPSDESK,
                                   reason=f"alert {alert.pk} came back ({alert.summary})")
    batch.stored[reopened.pk] = batch.touched[reopened.pk] = reopened
    notify.notify([reopened.owner], f"{reopened.get_severity_display()} INC-{reopened.pk} reopened: {reopened.title}",
                  body=f"Alert {alert.pk} ({alert.summary}) came back. {reason}", url=f"/incidents/{reopened.pk}/")
    return reopened


def _join(batch: _Batch, incident: Incident, alert: _New, decision: rules.Decision) -> None:
    """Add an alert to an incident: its service (unless a symptom upstream) and site join the affected ones."""
    known = batch.open[incident.pk]
    services, sites = set(known.service_ids), set(known.site_ids)
    if alert.service_id and alert.service_id not in services and decision.relation != "upstream":
        services.add(alert.service_id)
        batch.new_services[incident.pk].add(alert.service_id)
    if alert.site_id and alert.site_id not in sites:
        sites.add(alert.site_id)
        batch.new_sites[incident.pk].add(alert.site_id)
    batch.open[incident.pk] = rules.KnownIncident(incident.pk, known.detected_at, frozenset(services),
                                                  frozenset(sites), known.integration_id, known.signature,
                                                  incident.state, incident.resolved_at)
    batch.joins[incident.pk, decision.relation].append((alert, decision.reason))


def _signature(alert: _New) -> str:
    """What alerts of one failure share: the alert name, else the summary."""
    labels: dict[str, Any] = alert.labels or {}
    return str(labels.get("alertname") or alert.summary)[:255]


class _Told(NamedTuple):
    pk: int
    summary: str


def alerts_changed(acknowledged: Iterable[int], resolved: Iterable[int]) -> None:
    """Tell incidents' timelines that their alerts were acknowledged or resolved (one entry per
    incident and kind per batch), and when the last of an incident's alerts is resolved."""
    changed = list(acknowledged) + list(resolved)
    if not changed:
        return
    resolved_ids = set(resolved)
    by_incident: dict[tuple[int, str], list[_Told]] = defaultdict(list)
    for pk, summary, incident_id in Alert.objects.filter(pk__in=id_list(changed), incident_id__isnull=False).values_list(
        "id", "summary", "incident_id"
    ).order_by("id"):
        by_incident[incident_id or 0, "resolved" if pk in resolved_ids else "acknowledged"].append(_Told(pk, summary))
    incidents = Incident.objects.in_bulk({i for i, _ in by_incident})
    notes: list[tuple[Incident, str, str]] = []
    for (incident_id, verb), alerts in by_incident.items():
        if len(alerts) <= JOINS_SHOWN:
            notes += [(incidents[incident_id], "alert", f"Alert {a.pk} {verb} ({a.summary})") for a in alerts]
        else:
            names = "; ".join(a.summary for a in alerts[:JOINS_SHOWN])
            notes.append((incidents[incident_id], "alert", f"{len(alerts)} alerts {verb} ({names}; …)"))
    with_resolves = {i for i, verb in by_incident if verb == "resolved"}
    for incident_id in sorted(with_resolves):
        if Alert.objects.filter(incident_id=incident_id, status__in=alert_rules.OPEN_STATUSES).exists():
            continue
        notes.append((incidents[incident_id], "alert",
                      "All alerts of this incident are resolved; confirm recovery and resolve the incident."))
    timeline.record_each(notes, actor_label="opsdesk")
