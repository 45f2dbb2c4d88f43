"""Reads of services and the dependency graph, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from opsdesk.core.tenancy import get_scoped, scope

from . import rules
from .models import Service, ServiceDependency


def list_services(
    user: Any,
    *,
    client: int | None = None,
    site: int | None = None,
    criticality: int | None = None,
    q: str | None = None,
) -> QuerySet[Service]:
    """Services the user may see, with hosting sites and direct dependencies."""
    qs = scope(Service.objects.select_related("client"), user).prefetch_related(
        "sites", "upstream_edges"
    )
    if client:
        qs = qs.filter(client_id=client)
    if site:
        qs = qs.filter(sites__id=site)
    if criticality:
        qs = qs.filter(criticality=criticality)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.distinct().order_by("client__name", "name")


def get_service(user: Any, service_id: int) -> Service:
    """One service the user may see, or NotFound."""
    qs = Service.objects.select_related("client").prefetch_related("sites", "upstream_edges")
    return get_scoped(qs, user, pk=service_id)


def all_edges() -> list[tuple[int, int]]:
    """Every dependency edge as (service, depends_on)."""
    return list(ServiceDependency.objects.values_list("service_id", "depends_on_id"))


def upstream_ids(service: Service) -> set[int]:
    """Ids of everything the service depends on, transitively."""
    return rules.upstream(service.pk, all_edges())


def downstream_ids(service: Service) -> set[int]:
    """Ids of everything that depends on the service, transitively."""
    return rules.downstream(service.pk, all_edges())


def services_by_ids(user: Any, ids: set[int]) -> QuerySet[Service]:
    """Services among `ids` that the user may see."""
    return scope(Service.objects.select_related("client").filter(pk__in=ids), user).order_by("name")


def list_dependencies(user: Any, *, service: int | None = None) -> QuerySet[ServiceDependency]:
    """Dependency edges the user may see."""
    qs = scope(ServiceDependency.objects.select_related("service", "depends_on"), user)
    if service:
        qs = qs.filter(service_id=service) | qs.filter(depends_on_id=service)
    return qs.order_by("service__name", "depends_on__name")


def dependency_counts(user: Any) -> QuerySet[Service]:
    """Services annotated with how many direct dependencies and dependants they have."""
    return scope(Service.objects.all(), user).annotate(
        n_upstream=Count("upstream_edges", distinct=True),
        n_downstream=Count("downstream_edges", distinct=True),
    )
