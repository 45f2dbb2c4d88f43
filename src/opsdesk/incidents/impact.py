"""An incident's impact: the affected services and, through the dependency graph, the downstream
services, the clients and the sites impacted. Recomputed whenever services or sites change, with
"what changed" (incidents.what_changed) for the same services and sites."""

from __future__ import annotations

from typing import Any

from opsdesk.services import queries as service_queries
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service
from opsdesk.sites.models import Site

from . import what_changed
from .models import Incident


def compute(service_ids: set[int], site_ids: set[int], edges: list[tuple[int, int]]) -> dict[str, list[dict[str, Any]]]:
    """{"services", "downstream", "clients", "sites"}: each a list of {"id", "name"} (sites with "code")."""
    downstream: set[int] = set()
    for service_id in service_ids:
        downstream |= service_rules.downstream(service_id, edges)
    downstream -= service_ids
    services = {s.pk: s for s in Service.objects.filter(pk__in=service_ids | downstream).select_related("client")}
    hosting = set(Service.sites.through.objects.filter(service_id__in=service_ids).values_list("site_id", flat=True))
    sites = list(Site.objects.filter(pk__in=site_ids | hosting))
    clients: dict[int, str] = {s.client_id: s.client.name for s in services.values()}
    for site in Site.objects.filter(pk__in=site_ids).prefetch_related("clients"):
        for client in site.clients.all():
            clients.setdefault(client.pk, client.name)

    def named(ids: set[int]) -> list[dict[str, Any]]:
        return sorted(({"id": i, "name": services[i].name} for i in ids if i in services), key=lambda d: str(d["name"]))

    return {
        "services": named(service_ids),
        "downstream": named(downstream),
        "clients": sorted(({"id": i, "name": n} for i, n in clients.items()), key=lambda d: str(d["name"])),
        "sites": sorted(({"id": s.pk, "code": s.code, "name": s.name} for s in sites), key=lambda d: str(d["code"])),
    }


def refresh(incident: Incident, edges: list[tuple[int, int]] | None = None) -> None:
    """Recompute and store the impact, and the clients who may see the incident (tenancy)."""
    service_ids = set(incident.services.values_list("pk", flat=True))
    site_ids = set(incident.sites.values_list("pk", flat=True))
    edges = service_queries.all_edges() if edges is None else edges
    found = compute(service_ids, site_ids, edges)
    incident.impact = found
    incident.what_changed = what_changed.compute(incident.started_at, service_ids, {s["id"] for s in found["sites"]}, edges)
    incident.save(update_fields=["impact", "what_changed", "updated_at"])
    incident.clients.set([c["id"] for c in found["clients"]])
