"""Use cases for services and the dependency graph."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import crud, timeline
from opsdesk.core.errors import Conflict, field_error
from opsdesk.sites.models import Site

from . import rules
from .models import Service, ServiceDependency


def _set_dependencies(service: Service, ids: list[int], *, actor: User) -> None:
    """Replace the service's direct dependencies, refusing any that would close a cycle."""
    targets = crud.resolve_ids(Service, ids, "depends_on")
    if service.pk in ids:
        raise Conflict(f"{service.name} cannot depend on itself.")
    edges = list(ServiceDependency.objects.exclude(service=service).values_list("service_id", "depends_on_id"))
    for target in targets:
        path = rules.cycle_path(edges, (service.pk, target.pk))
        if path:
            chain = [service.pk, *path[:-1]]
            names = dict(Service.objects.filter(pk__in=chain).values_list("pk", "name"))
            raise Conflict(
                "This dependency would create a cycle: " + " → ".join(names[p] for p in chain) + "."
            )
        edges.append((service.pk, target.pk))
    before = sorted(service.upstream_edges.values_list("depends_on_id", flat=True))
    after = sorted(t.pk for t in targets)
    if before == after:
        return
    service.upstream_edges.all().delete()
    ServiceDependency.objects.bulk_create(ServiceDependency(service=service, depends_on=t) for t in targets)
    timeline.record(service, "dependencies_changed", actor=actor, summary="Dependencies changed",
                    changes={"depends_on": [before, after]})


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    fields = {("client_id" if k == "client" else k): v for k, v in data.items() if k not in ("sites", "depends_on")}
    m2m = {"sites": crud.resolve_ids(Site, data["sites"], "sites")} if data.get("sites") is not None else {}
    return fields, m2m


@transaction.atomic
def create_service(data: dict[str, Any], *, actor: User) -> Service:
    """Add a service with its hosting sites and dependencies."""
    fields, m2m = _split(data)
    service = crud.create(Service, fields, actor=actor, m2m=m2m)
    if data.get("depends_on"):
        _set_dependencies(service, data["depends_on"], actor=actor)
    return service


@transaction.atomic
def update_service(service: Service, data: dict[str, Any], *, actor: User) -> Service:
    """Change a service; `depends_on` replaces its direct dependencies."""
    if "client" in data:
        raise field_error("client", "a service cannot move to another client")
    fields, m2m = _split(data)
    crud.update(service, fields, actor=actor, m2m=m2m)
    if data.get("depends_on") is not None:
        _set_dependencies(service, data["depends_on"], actor=actor)
    return service


def delete_service(service: Service, *, actor: User) -> None:
    """Remove a service and its edges."""
    crud.delete(service, actor=actor)
