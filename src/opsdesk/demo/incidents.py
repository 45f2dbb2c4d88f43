"""Builder step for alerts and incidents: integrations for each story client (their keys printed
once at load), and incidents in several states made the way production makes them.

Alerts arrive as accepted deliveries (RawEvent rows, as the intake stores them) and are turned
into alerts and incidents by the real processing and correlation; people then act through the
incident services (acknowledge, roles, audience updates, resolve). The clock is frozen at each
moment, anchored on the load's time of day on the demo's today, so open incidents look current.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from opsdesk.accounts.models import User
from opsdesk.alerts import processing
from opsdesk.alerts import services as alert_services
from opsdesk.alerts.models import Integration, RawEvent
from opsdesk.changes import services as change_services
from opsdesk.core import clock
from opsdesk.incidents import roles, updates
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.models import Incident
from opsdesk.learning import services as learning
from opsdesk.learning.models import Problem
from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from . import changes as demo_changes
from .context import DemoContext, demo_now

UTC = dt.UTC
MIN = dt.timedelta(minutes=1)


def build_incidents(ctx: DemoContext) -> None:
    """Integrations for the story clients, then the incident stories of the first copy."""
    admin = User.objects.get(username="admin")
    made = 0
    for copy in range(ctx.plan.story_copies):
        made += len(_integrations(ctx, copy, admin))
    ctx.count("integrations", made)
    anchor = demo_now(ctx)
    stories = _Stories(ctx, anchor)
    for story in (stories.closed_last_week, stories.trading_latency, stories.storage_outage, stories.wifi_earlier,
                  stories.wifi_flapping, stories.market_data_new, stories.wifi_problem):
        story()
    ctx.count("incidents", Incident.objects.count())


def _service(ctx: DemoContext, copy: int, client_code: str, code: str) -> Service:
    client = ctx.client_for(copy, client_code)
    return Service.objects.get(client=client, code=code)


def _site(ctx: DemoContext, copy: int, code: str) -> Site:
    return ctx.sites_of_copy(copy)[code].site


def _integrations(ctx: DemoContext, copy: int, admin: User) -> list[Integration]:
    """An Alertmanager and an Events API integration for Northgate, an Events API one for Meridian."""
    northgate = ctx.client_for(copy, "northgate")
    meridian = ctx.client_for(copy, "meridian")
    epr, storage = _service(ctx, copy, "northgate", "epr"), _service(ctx, copy, "northgate", "storage-array")
    lan = _service(ctx, copy, "northgate", "hospital-lan")
    trading = _service(ctx, copy, "meridian", "trading")
    specs: list[tuple[dict[str, Any], str]] = [
        ({"name": "Prometheus (Northgate)", "kind": "alertmanager", "client": northgate.pk, "rules": [
            {"label": "service", "operator": "=", "value": "epr", "service": epr.pk},
            {"label": "service", "operator": "=~", "value": "storage.*", "service": storage.pk},
            {"label": "job", "operator": "=", "value": "wifi", "service": lan.pk},
            {"label": "instance", "operator": "=~", "value": "lon-dc2-.*", "site": _site(ctx, copy, "lon-dc2").pk},
        ]}, "alertmanager"),
        ({"name": "Events API (Northgate)", "kind": "events_v2", "client": northgate.pk, "default_service": epr.pk},
         "events"),
        ({"name": "Events API (Meridian)", "kind": "events_v2", "client": meridian.pk, "default_service": trading.pk},
         "events"),
    ]
    made = []
    for data, _ in specs:
        integration, raw = alert_services.create_integration(data, actor=admin)
        made.append(integration)
        if copy == 0:
            url = "/v2/enqueue (routing_key)" if integration.kind == "events_v2" else f"/api/v1/integrations/{integration.kind}/<key>"
            ctx.notes.append(f"Integration '{integration.name}' ({url}): key {raw}")
    return made


class _Stories:
    """The incident stories of copy 0, each at its own moment before the anchor."""

    def __init__(self, ctx: DemoContext, anchor: dt.datetime) -> None:
        self.ctx, self.anchor = ctx, anchor
        self.users = {u.username: u for u in User.objects.filter(username__in=["admin", "desk", "commander", "dispatch"])}
        self.integrations = {i.name: i for i in Integration.objects.filter(client__in=[
            ctx.client_for(0, "northgate"), ctx.client_for(0, "meridian")])}

    def _deliver(self, integration: str, at: dt.datetime, *signals: dict[str, Any]) -> None:
        """One accepted delivery, processed as the worker would a moment later."""
        body = json.dumps(list(signals), sort_keys=True)
        RawEvent.objects.create(integration=self.integrations[integration], received_at=at, signals=list(signals),
                                digest=hashlib.sha256(body.encode()).hexdigest())
        with clock.frozen(at + dt.timedelta(seconds=2)):
            processing.drain()

    def _latest(self) -> Incident:
        return Incident.objects.order_by("-id")[0]

    def _at(self, minutes_ago: float) -> Any:
        return clock.frozen(self.anchor - minutes_ago * MIN)

    def _emergency_change(self, service: Service, title: str, start: dt.datetime, end: dt.datetime) -> None:
        """An emergency change on the service, implemented and completed in [start, end]."""
        users = {u.username: u for u in User.objects.filter(
            username__in=["admin", "desk", "dispatch", "engineer", "commander", "approver"])}
        created = start - dt.timedelta(days=2)
        with clock.frozen(created):
            change = change_services.create_change({
                "type": "emergency", "title": title, "description": f"{title} ({service.client.name}).",
                "services": [service.pk], "window_start": start, "window_end": end,
                "implementation_plan": "1. Fail over to controller A.\n2. Flash controller B.\n3. Fail back.",
                "verification_plan": "Array health green, write latency p99 under 20 ms for 15 minutes.",
                "rollback_plan": {"steps": "Flash the previous firmware.", "trigger": "Latency above 50 ms.",
                                  "duration_minutes": 30},
            }, actor=users["desk"])
        with clock.frozen(created + dt.timedelta(hours=1)):
            change = change_services.transition_change(change, "submitted", actor=users["desk"], reason="Vendor advisory")
        client_user = User.objects.filter(client=service.client, role="client").first()
        change = demo_changes.approve(change, users, client_user, created + dt.timedelta(hours=2), self.ctx)
        if change.state != "approved":
            return
        with clock.frozen(created + dt.timedelta(hours=3)):
            change = change_services.transition_change(change, "scheduled", actor=users["desk"])
        with clock.frozen(start):
            change = change_services.transition_change(change, "implementing", actor=users["desk"], reason="Window opened")
        with clock.frozen(end):
            change_services.transition_change(change, "completed", actor=users["desk"], reason="Firmware applied")

    def storage_outage(self) -> None:
        """SEV1: an emergency firmware change, then the storage array degrades; EPR slows as a
        symptom; clinicians are told what to do. "What changed" puts the firmware change first."""
        start = self.anchor - 95 * MIN
        storage = _service(self.ctx, 0, "northgate", "storage-array")
        self._emergency_change(storage, "Emergency firmware update on storage array B controller",
                               start - 170 * MIN, start - 40 * MIN)
        self._deliver("Prometheus (Northgate)", start, _am("StorageLatencyHigh", "storage-array", "critical",
                      "Storage array p99 write latency above 200 ms", instance="lon-dc2-san01:9100"))
        incident = self._latest()
        self._deliver("Events API (Northgate)", start + 6 * MIN, _event("epr-slow", "EPR screens take over 10 s to open",
                      "critical", "epr-web-03"))
        commander, desk = self.users["commander"], self.users["desk"]
        with self._at(88):
            incident_services.transition_incident(incident, "acknowledged", actor=commander)
            roles.assign_role(incident, "commander", commander.pk, actor=commander)
            roles.acknowledge_role(incident, "commander", actor=commander)
            roles.assign_role(incident, "communications", desk.pk, actor=commander,
                              note="Wards are calling the desk; keep clinicians informed every 30 minutes.")
        with self._at(85):
            roles.acknowledge_role(incident, "communications", actor=desk)
            incident_services.transition_incident(incident, "investigating", actor=commander)
            updates.post_update(incident, {"audience": "responders", "body": "Array B controller shows queue depth 10x "
                                           "normal since 07:40; failover not triggered."}, actor=commander)
            updates.post_update(incident, {
                "audience": "end_users", "body": "The patient record (EPR) is very slow to open and save.",
                "can_do": "Read records already open; write notes in the ward's downtime sheets.",
                "cannot_do": "Do not re-open or refresh EPR screens repeatedly; it makes the delay worse.",
                "workaround": "Use the paper downtime forms for new admissions and prescriptions.",
            }, actor=desk)
            updates.post_update(incident, {"audience": "clients", "body": "Clinical systems that store data on the "
                                           "central storage array are degraded. We are working on it with top priority."},
                                actor=desk)
        with self._at(60):
            incident_services.transition_incident(incident, "identified", actor=commander,
                                                  reason="A failing controller on array B")
            incident_services.add_note(incident, "Vendor engaged (case 88121); controller swap prepared.", actor=commander)

    def trading_latency(self) -> None:
        """SEV2 resolved yesterday: trading latency after a change; linked, with a postmortem started."""
        start = self.anchor - 26 * 60 * MIN
        self._deliver("Events API (Meridian)", start, _event("fix-gateway-latency", "FIX gateway order latency p99 > 50 ms",
                      "error", "fix-gw-01"))
        incident = self._latest()
        commander = self.users["commander"]
        with self._at(26 * 60 - 4):
            incident_services.transition_incident(incident, "investigating", actor=commander)
        with self._at(26 * 60 - 30):
            incident_services.transition_incident(incident, "monitoring", actor=commander,
                                                  reason="Rolled the gateway config back")
            updates.post_update(incident, {"audience": "clients", "body": "Order latency is back to normal after we "
                                           "reverted a configuration change. We are watching it closely."},
                                actor=commander)
        self._deliver("Events API (Meridian)", start + 40 * MIN, {**_event("fix-gateway-latency", "", "error", ""),
                      "action": "resolve"})
        with self._at(26 * 60 - 60):
            incident_services.transition_incident(incident, "resolved", actor=commander,
                                                  reason="Latency normal for 30 minutes after the rollback")
        self._postmortem(incident, commander)

    def _postmortem(self, incident: Incident, actor: User) -> None:
        """A postmortem draft for the resolved incident, with its action items."""
        with self._at(20 * 60):
            pm, _ = learning.start_postmortem(incident, actor=actor)
            today = self.anchor.date()
            for title, owner, due_in_days in (
                ("Stage FIX gateway configuration changes through the canary first", actor, 10),
                ("Alert on order latency p99 per venue, not only overall", self.users["desk"], -2),
                ("Write the gateway rollback steps into the runbook", actor, -1),
            ):
                action = learning.add_action(pm, title, owner.pk, today + dt.timedelta(days=due_in_days), actor)
                if due_in_days == -1:
                    learning.update_action(action, {"state": "done"}, actor)

    def wifi_flapping(self) -> None:
        """SEV3 in monitoring: clinical Wi-Fi at a hospital flaps."""
        start = self.anchor - 50 * MIN
        for i in range(5):
            at = start + i * 6 * MIN
            self._deliver("Prometheus (Northgate)", at, _am("WifiApDown", "wifi", "warning",
                          "Ward 7 access points down", instance="man-hosp-ap-07", job="wifi"))
            self._deliver("Prometheus (Northgate)", at + 3 * MIN, _am("WifiApDown", "wifi", "warning",
                          "Ward 7 access points down", instance="man-hosp-ap-07", job="wifi", status="resolved"))
        incident = self._latest()
        with self._at(20):
            incident_services.transition_incident(incident, "monitoring", actor=self.users["desk"],
                                                  reason="Power cycled the ward 7 switch; watching")

    @staticmethod
    def _wifi_down(status: str = "firing") -> dict[str, Any]:
        return _am("WifiApDown", "wifi", "warning", "Ward 7 access points down", instance="man-hosp-ap-07", job="wifi",
                   status=status)

    def wifi_earlier(self) -> None:
        """The ward 7 Wi-Fi went down three times in the past weeks, each fixed by power-cycling its switch."""
        desk = self.users["desk"]
        for days_ago in WIFI_RECURRED_DAYS_AGO:
            start = self.anchor - days_ago * 24 * 60 * MIN
            self._deliver("Prometheus (Northgate)", start, self._wifi_down())
            incident = self._latest()
            with clock.frozen(start + 6 * MIN):
                incident = incident_services.transition_incident(incident, "investigating", actor=desk)
            self._deliver("Prometheus (Northgate)", start + 24 * MIN, self._wifi_down("resolved"))
            with clock.frozen(start + 30 * MIN):
                incident_services.transition_incident(incident, "resolved", actor=desk,
                                                      reason="Power-cycled the ward 7 switch; access points back")

    def wifi_problem(self) -> None:
        """The periodic job proposes a problem for the recurring Wi-Fi incidents (today's flapping one
        included); the commander writes down the known error and the workaround while triaging it."""
        with self._at(15):
            learning.propose_problems(clock.now())
        lan = _service(self.ctx, 0, "northgate", "hospital-lan")
        problem = Problem.objects.filter(service=lan, signature="WifiApDown").first()
        if problem is None:
            return
        commander = self.users["commander"]
        with self._at(10):
            learning.update_problem(problem, {"owner": commander.pk, "known_error": WIFI_KNOWN_ERROR,
                                              "workaround": WIFI_WORKAROUND}, commander)

    def market_data_new(self) -> None:
        """A new incident nobody has acknowledged yet."""
        self._deliver("Events API (Meridian)", self.anchor - 3 * MIN,
                      _event("md-feed-stale", "Market data feed stale for 90 s (LSE)", "critical", "md-feed-02"))

    def closed_last_week(self) -> None:
        """A closed incident from last week."""
        start = self.anchor - 7 * 24 * 60 * MIN
        self._deliver("Events API (Meridian)", start, _event("branch-vpn", "Branch VPN tunnel down", "warning", "vpn-02"))
        incident = self._latest()
        commander = self.users["commander"]
        with clock.frozen(start + 10 * MIN):
            incident_services.transition_incident(incident, "resolved", actor=commander, reason="ISP fixed the line")
        with clock.frozen(start + 24 * 60 * MIN):
            incident_services.transition_incident(incident, "closed", actor=commander, reason="No recurrence in 24 h")


WIFI_RECURRED_DAYS_AGO = (19, 11, 4)
WIFI_KNOWN_ERROR = (
    "The ward 7 PoE switch (man-hosp-sw-07) browns out when its access points draw full power: its power supply "
    "sags and every access point on it drops at once. A replacement supply is on order."
)
WIFI_WORKAROUND = (
    "Power-cycle the ward 7 switch (comms room, PDU port 3); the access points are back within 5 minutes. "
    "Meanwhile clinicians use the wired workstations at the ward 7 nurses' station."
)


def _am(name: str, service: str, severity: str, summary: str, *, instance: str, job: str = "node",
        status: str = "firing") -> dict[str, Any]:
    """A signal as alerts.formats makes it from an Alertmanager alert."""
    labels = {"alertname": name, "service": service, "severity": severity, "instance": instance, "job": job}
    key = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    return {"action": "trigger" if status == "firing" else "resolve", "key": key, "summary": summary,
            "source": instance, "severity": severity, "labels": labels, "annotations": {"summary": summary},
            "details": {}, "started_at": None, "ended_at": None}


def _event(key: str, summary: str, severity: str, source: str) -> dict[str, Any]:
    """A signal as alerts.formats makes it from an Events API v2 trigger."""
    return {"action": "trigger", "key": key, "summary": summary, "source": source, "severity": severity,
            "labels": {"source": source}, "annotations": {}, "details": {}, "started_at": None, "ended_at": None}
