"""Alerts open or join incidents (`open_or_attach`), called inside alert processing's transaction.

Rules (incidents.rules.correlate): the same service or site within the correlation window, or
along the dependency graph (an alert on a service whose upstream dependency has an open incident
joins it as a symptom); otherwise a new incident, paged to its owner. Alerts inside an approved
change's maintenance period never page. Every decision is stored with its reason
(IncidentAlert.reason) and told on the incident's timeline.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from opsdesk.alerts import services as alert_services
from opsdesk.alerts.models import Alert
from opsdesk.core import clock, notify, timeline
from opsdesk.services import queries as service_queries
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from . import impact, rules
from .models import Incident, IncidentAlert
from .services import default_owner

logger = logging.getLogger(__name__)


def open_or_attach(alert_ids: Iterable[int]) -> dict[int, int]:
    """Correlate newly opened alerts: {alert id: incident id} for those that opened or joined one."""
    alerts = [a for a in Alert.objects.filter(pk__in=list(alert_ids)).select_related("service", "site", "integration")
              .order_by("id") if a.maintenance_change_id is None]
    if not alerts:
        return {}
    edges = service_queries.all_edges()
    open_incidents = _open_incidents()
    names = _names(alerts, open_incidents)
    window = getattr(settings, "OPSDESK_CORRELATION_WINDOW", rules.CORRELATION_WINDOW)
    placed: dict[int, int] = {}
    links: list[IncidentAlert] = []
    touched: dict[int, Incident] = {}
    for alert in alerts:
        upstream = service_rules.upstream(alert.service_id, edges) if alert.service_id else set()
        decision = rules.correlate(alert.service_id, alert.site_id, alert.first_seen_at, list(open_incidents.values()),
                                   upstream, names, window)
        if decision.incident_id is None:
            opened = _open(alert, decision.reason)
            if opened is None:
                continue
            incident = opened
            open_incidents[incident.pk] = rules.OpenIncident(
                incident.pk, incident.detected_at, frozenset([alert.service_id] if alert.service_id else []),
                frozenset([alert.site_id] if alert.site_id else []),
            )
            incident_id = incident.pk
        else:
            incident_id = decision.incident_id
            incident = touched.get(incident_id) or Incident.objects.get(pk=incident_id)
            _join(incident, alert, decision, open_incidents)
        touched[incident_id] = incident
        placed[alert.pk] = incident_id
        links.append(IncidentAlert(incident_id=incident_id, alert=alert, relation=decision.relation,
                                   reason=decision.reason[:500], linked_at=clock.now()))
    IncidentAlert.objects.bulk_create(links, ignore_conflicts=True)
    by_incident: dict[int, list[int]] = defaultdict(list)
    for alert_id, incident_id in placed.items():
        by_incident[incident_id].append(alert_id)
    for incident_id, ids in by_incident.items():
        alert_services.link_incident(ids, incident_id)
    for incident in touched.values():
        impact.refresh(incident, edges)
    return placed


def _open_incidents() -> dict[int, rules.OpenIncident]:
    incidents = Incident.objects.filter(state__in=sorted(rules.OPEN_STATES)).prefetch_related("services", "sites")
    return {
        i.pk: rules.OpenIncident(i.pk, i.detected_at, frozenset(s.pk for s in i.services.all()),
                                 frozenset(s.pk for s in i.sites.all()))
        for i in incidents
    }


def _names(alerts: list[Alert], incidents: dict[int, rules.OpenIncident]) -> dict[str, str]:
    service_ids = {a.service_id for a in alerts if a.service_id} | {s for i in incidents.values() for s in i.service_ids}
    site_ids = {a.site_id for a in alerts if a.site_id} | {s for i in incidents.values() for s in i.site_ids}
    names = {f"service:{pk}": name for pk, name in Service.objects.filter(pk__in=service_ids).values_list("pk", "name")}
    names.update({f"site:{pk}": code for pk, code in Site.objects.filter(pk__in=site_ids).values_list("pk", "code")})
    return names


def _open(alert: Alert, reason: str) -> Incident | None:
    """A new incident from an alert, paged to its owner (None when there is no one to own it)."""
    owner = alert.integration.owner or default_owner()
    if owner is None:
        logger.warning("alert %s opens no incident: no active incident commander or admin to own it", alert.pk)
        return None
    criticality = alert.service.criticality if alert.service else None
    severity = rules.severity_for(alert.severity, criticality)
    incident = Incident.objects.create(
        title=alert.summary[:300], severity=severity, owner=owner, started_at=min(alert.started_at, alert.first_seen_at),
        detected_at=alert.first_seen_at, signature=_signature(alert),
        next_update_due_at=rules.next_update_due(severity, alert.first_seen_at),
    )
    if alert.service_id:
        incident.services.add(alert.service_id)
    if alert.site_id:
        incident.sites.add(alert.site_id)
    timeline.record(incident, "created", actor="opsdesk",
                    summary=f"Opened as {incident.get_severity_display()} by alert {alert.pk} ({alert.summary}). {reason}")
    notify.notify([owner], f"{incident.get_severity_display()} INC-{incident.pk}: {incident.title}",
                  body=f"Opened by an alert from {alert.integration.name}. Acknowledge it.", url=f"/incidents/{incident.pk}/")
    return incident


def _join(incident: Incident, alert: Alert, decision: rules.Decision, open_incidents: dict[int, rules.OpenIncident]) -> None:
    """Add an alert to an incident: its service and site join the affected ones."""
    known = open_incidents[incident.pk]
    services, sites = set(known.service_ids), set(known.site_ids)
    if alert.service_id and alert.service_id not in services and decision.relation != "upstream":
        incident.services.add(alert.service_id)
        services.add(alert.service_id)
    if alert.site_id and alert.site_id not in sites:
        incident.sites.add(alert.site_id)
        sites.add(alert.site_id)
    open_incidents[incident.pk] = rules.OpenIncident(incident.pk, known.detected_at, frozenset(services), frozenset(sites))
    timeline.record(incident, "alert", actor="opsdesk", summary=f"Alert {alert.pk} joined ({alert.summary}). {decision.reason}")


def _signature(alert: Alert) -> str:
    """What recurring incidents of a service share: the alert name, else the summary."""
    labels: dict[str, Any] = alert.labels or {}
    return str(labels.get("alertname") or alert.summary)[:255]


def alerts_changed(acknowledged: Iterable[int], resolved: Iterable[int]) -> None:
    """Tell incidents' timelines that their alerts were acknowledged or resolved."""
    changed = list(acknowledged) + list(resolved)
    if not changed:
        return
    resolved_ids = set(resolved)
    for alert in Alert.objects.filter(pk__in=changed, incident_id__isnull=False).order_by("id"):
        incident = Incident.objects.filter(pk=alert.incident_id or 0).first()
        if incident is None:
            continue
        verb = "resolved" if alert.pk in resolved_ids else "acknowledged"
        timeline.record(incident, "alert", actor="opsdesk", summary=f"Alert {alert.pk} {verb} ({alert.summary})")
        if verb == "resolved" and not Alert.objects.filter(incident_id=incident.pk).exclude(status="resolved").exists():
            timeline.record(incident, "alert", actor="opsdesk",
                            summary="All alerts of this incident are resolved; confirm recovery and resolve the incident.")
