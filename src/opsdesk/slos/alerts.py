"""Burn-rate alerts: SLOs whose Workbook rules start or stop firing send events into the alert pipeline.

The worker runs `evaluate` every minute (periodic job "slos-evaluate"). For each active SLO with
alerting on, `report_of(slo, now)` tells which rules fire (slos.rules: page-fast 14.4x over 1 h
confirmed over 5 min, page-slow 6x over 6 h / 30 min, ticket 1x over 3 days / 6 h). A rule that
starts firing sends a trigger, one that stops sends a resolve; `Slo.firing` keeps what fires now
(rule -> since). An SLO switched off (inactive, alerting off) resolves what it had firing.

The events enter the pipeline as any sender's do: a PagerDuty Events API v2 event per change,
normalised by `alerts.formats.from_events_v2` and stored as an accepted delivery (RawEvent) of the
client's internal integration "SLO burn-rate alerts" (created on first need, with a random key of
which only the hash is kept: nothing outside sends to it). Alert processing then makes the alerts
(dedup key `slo:<id>:<rule>`) and correlation the incidents. Each event carries the label
`group=service:<id>`, and the integration has one mapping rule per service it alerts on, so the
alert, and the incident it opens, name the SLO's service.

The events and the new `firing` are written in one transaction: if it fails, the next run sends
them again. An alert resolved by hand while its rule still fires is not sent again until the rule
stops and starts firing anew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import transaction

from opsdesk.alerts import formats
from opsdesk.alerts import services as alert_services
from opsdesk.alerts.models import Integration, MappingRule, RawEvent
from opsdesk.alerts.signals import Signal
from opsdesk.core import clock
from opsdesk.core.actors import OPSDESK

from . import queries
from .models import Slo
from .reports import RuleBurn, SloReport, report_of

INTEGRATION_NAME = "SLO burn-rate alerts"
ACTOR = OPSDESK
SOURCE = "opsdesk SLOs"
MAPPING_LABEL = "group"  # Events API payload.group becomes this label


@dataclass
class Evaluation:
    """What one evaluation did: SLOs looked at, rules that started and stopped firing."""

    evaluated: int = 0
    triggered: list[str] = field(default_factory=list)  # "slo:<id>:<rule>"
    resolved: list[str] = field(default_factory=list)


def dedup_key(slo: Slo, rule: str) -> str:
    """The alert key of one SLO's rule."""
    return f"slo:{slo.pk}:{rule}"


def service_label(service_id: int) -> str:
    """The label value that maps an event to its service."""
    return f"service:{service_id}"


def _summary(slo: Slo, rule: RuleBurn) -> str:
    return (f"{slo.service.name} {slo.kind} SLO burning error budget {rule.threshold:g}x ({rule.name}): "
            f"{slo.name}, objective {slo.objective:.3%} over {slo.window_days} days")


def _document(slo: Slo, integration: Integration, action: str, rule_name: str, rule: RuleBurn | None,
              report: SloReport) -> dict[str, Any]:
    """The Events API v2 event of a rule starting (trigger) or stopping (resolve)."""
    doc: dict[str, Any] = {"routing_key": integration.key_prefix, "event_action": action,
                           "dedup_key": dedup_key(slo, rule_name)}
    if action == "trigger" and rule is not None:
        doc["payload"] = {
            "summary": _summary(slo, rule), "source": SOURCE,
            "severity": "critical" if rule.action == "page" else "warning",
            "component": slo.service.code, "group": service_label(slo.service_id), "class": rule.name,
            "timestamp": report.now.isoformat(),
            "custom_details": {
                "slo": slo.pk, "slo_name": slo.name, "kind": slo.kind, "objective": slo.objective,
                "window_days": slo.window_days, "rule": rule.name, "action": rule.action,
                "burn_rate_threshold": rule.threshold, "long_window_s": rule.long_window_s,
                "short_window_s": rule.short_window_s, "long_burn_rate": round(rule.long_rate, 4),
                "short_burn_rate": round(rule.short_rate, 4),
                "budget_remaining": round(report.budget_remaining, 6),
            },
        }
    return doc


def integration_for(client_id: int, service_ids: set[int]) -> Integration:
    """The client's internal burn-rate integration, made on first need, with a mapping rule for
    each of these services (added when missing)."""
    integration = Integration.objects.filter(client_id=client_id, kind=Integration.Kind.EVENTS_V2,
                                             name=INTEGRATION_NAME).order_by("id").first()
    if integration is None:
        integration, _raw = alert_services.create_integration(
            {"name": INTEGRATION_NAME, "kind": Integration.Kind.EVENTS_V2, "client": client_id}, actor=ACTOR)
    rules = list(MappingRule.objects.filter(integration=integration).order_by("position", "id"))
    mapped = {r.value for r in rules if r.label == MAPPING_LABEL and r.operator == "=" and r.service_id}
    missing = sorted(s for s in service_ids if service_label(s) not in mapped)
    if missing:
        kept = [{"label": r.label, "operator": r.operator, "value": r.value, "service": r.service_id,
                 "site": r.site_id} for r in rules]
        added = [{"label": MAPPING_LABEL, "operator": "=", "value": service_label(s), "service": s} for s in missing]
        alert_services.update_integration(integration, {"rules": kept + added}, actor=ACTOR)
    return integration


def _changes(slo: Slo, report: SloReport | None) -> tuple[dict[str, str], list[RuleBurn], list[str]]:
    """The SLO's new `firing`, the rules that start firing and the names of those that stop."""
    before: dict[str, str] = dict(slo.firing or {})
    now_firing = {r.name: r for r in report.rules if r.firing} if report is not None else {}
    started = [r for name, r in now_firing.items() if name not in before]
    stopped = [name for name in before if name not in now_firing]
    since = report.now.isoformat() if report is not None else ""
    after = {name: before.get(name) or since for name in now_firing}
    return after, started, stopped


def evaluate(now: dt.datetime | None = None) -> Evaluation:
    """Evaluate every alerting SLO at `now` and send what started or stopped firing (see the module)."""
    now = now or clock.now()
    result = Evaluation()
    planned: list[tuple[Slo, SloReport | None, dict[str, str], list[RuleBurn], list[str]]] = []
    for slo in queries.list_alerting_slos():
        report = report_of(slo, now) if slo.active and slo.alerting else None
        result.evaluated += 1 if report is not None else 0
        after, started, stopped = _changes(slo, report)
        if started or stopped or after != (slo.firing or {}):
            planned.append((slo, report, after, started, stopped))
    if planned:
        _send(planned, now, result)
    return result


@transaction.atomic
def _send(planned: list[tuple[Slo, SloReport | None, dict[str, str], list[RuleBurn], list[str]]],
          now: dt.datetime, result: Evaluation) -> None:
    """Write the events (one delivery per client) and the SLOs' new `firing`, together."""
    by_client: dict[int, list[tuple[Slo, SloReport | None, list[RuleBurn], list[str]]]] = defaultdict(list)
    for slo, report, after, started, stopped in planned:
        by_client[slo.service.client_id].append((slo, report, started, stopped))
        Slo.objects.filter(pk=slo.pk).update(firing=after)
        slo.firing = after
    for client_id, items in by_client.items():
        if not any(started or stopped for _slo, _report, started, stopped in items):
            continue
        integration = integration_for(client_id, {slo.service_id for slo, _r, started, _s in items if started})
        documents: list[dict[str, Any]] = []
        for slo, report, started, stopped in items:
            shown = report or SloReport(slo=slo, now=now, good=0, valid=0, attainment=None, budget_remaining=1.0)
            documents += [_document(slo, integration, "trigger", r.name, r, shown) for r in started]
            documents += [_document(slo, integration, "resolve", name, None, shown) for name in stopped]
            result.triggered += [dedup_key(slo, r.name) for r in started]
            result.resolved += [dedup_key(slo, name) for name in stopped]
        signals: list[Signal] = [formats.from_events_v2(doc) for doc in documents]
        body = orjson.dumps(documents)
        RawEvent.objects.create(integration=integration, received_at=now, signals=signals,
                                digest=hashlib.sha256(body).hexdigest())
