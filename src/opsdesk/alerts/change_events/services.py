"""Use cases of change events: record one reported event, mapped to a service and a site, as an
implemented standard change and on the service's timeline (alerts.change_events)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from opsdesk.changes import recorded
from opsdesk.core import timeline
from opsdesk.core.actors import Actor, SystemActor
from opsdesk.core.events import publish

from .. import rules
from ..events import ChangeRecorded
from ..models import Integration, MappingRule
from . import queries
from .formats import Reported, labels_of
from .models import ChangeEvent


def map_targets(integration: Integration, labels: dict[str, str]) -> tuple[int | None, int | None]:
    """(service id, site id): the first matching rule of each kind, else the integration's defaults."""
    services: list[tuple[rules.Matcher, int]] = []
    sites: list[tuple[rules.Matcher, int]] = []
    for rule in MappingRule.objects.filter(integration=integration).order_by("position", "id"):
        matcher = rules.Matcher(rule.label, rule.operator, rule.value)
        if rule.service_id:
            services.append((matcher, rule.service_id))
        elif rule.site_id:
            sites.append((matcher, rule.site_id))
    return (rules.first_target(services, labels) or integration.default_service_id,
            rules.first_target(sites, labels) or integration.default_site_id)


@transaction.atomic
def record(integration: Integration, reported: Reported, received_at: dt.datetime) -> tuple[ChangeEvent, bool]:
    """Store the event (once per digest), mapped, as an implemented standard change and on the
    service's timeline; (the event, whether it is new)."""
    found = ChangeEvent.objects.filter(integration=integration, digest=reported.digest).first()
    if found is not None:
        return found, False
    labels = labels_of(reported)
    service_id, site_id = map_targets(integration, labels)
    event = ChangeEvent(
        integration=integration, client_id=integration.client_id, summary=reported.summary, source=reported.source,
        happened_at=reported.happened_at or received_at, received_at=received_at,
        custom_details=reported.custom_details, links=reported.links, labels=labels, digest=reported.digest,
        service_id=service_id, site_id=site_id,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:  # the same event, sent twice at once: the other one stored it
        return ChangeEvent.objects.get(integration=integration, digest=reported.digest), False
    actor: Actor = SystemActor(f"change event ({integration.name})"[:150])
    owner = queries.change_owner(integration)
    if owner is not None:
        event.change = recorded.record_implemented_change(
            title=reported.summary, description=_description(reported), at=event.happened_at, owner=owner,
            service_ids=[service_id] if service_id else [], site_ids=[site_id] if site_id else [], actor=actor,
            source=reported.source,
        )
        event.save(update_fields=["change"])
        # A deploy reported after the incident it caused opened still belongs in its "what changed".
        publish(ChangeRecorded(change_id=event.change.pk, service_ids=(service_id,) if service_id else (),
                               site_ids=(site_id,) if site_id else ()))
    if event.service is not None:
        timeline.record(event.service, "change_event", actor=actor, summary=f"Change: {reported.summary}"[:500],
                        changes={"change_event": [None, event.pk], "source": [None, reported.source]})
    return event, True


def _description(reported: Reported) -> str:
    lines = [f"Reported by {reported.source or 'a change event'}."]
    lines += [f"{k}: {v}" for k, v in labels_of(reported).items() if k != "source"]
    lines += [f"{link['text'] or link['href']}: {link['href']}" for link in reported.links]
    return "\n".join(lines)
