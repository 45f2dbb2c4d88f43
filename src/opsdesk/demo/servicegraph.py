"""Builder step for services: each client's stack, hosted at its sites, and the dependency graph."""

from __future__ import annotations

from opsdesk.services import rules
from opsdesk.services.models import Service, ServiceDependency

from .context import DemoContext, validate
from .data import CLIENTS
from .service_data import STACKS


class DemoDataError(RuntimeError):
    """The static demo data contradicts itself (a bug in the demo, not in the user's input)."""


def build_services(ctx: DemoContext) -> None:
    """Create every client's services, their hosting sites and dependency edges (checked acyclic)."""
    services: list[Service] = []
    links = []
    through = Service.sites.through
    hosting: list[tuple[Service, int, str, tuple[str, ...]]] = []
    for n in range(ctx.plan.copies):
        for client_def, client in zip(CLIENTS, ctx.clients[n], strict=True):
            for d in STACKS[client_def.sector]:
                service = Service(
                    client=client,
                    code=d.code,
                    name=d.name,
                    kind=d.kind,
                    criticality=d.criticality,
                    description=d.description,
                )
                validate(service)
                services.append(service)
                hosting.append((service, n, client_def.code, d.sites))
    Service.objects.bulk_create(services, batch_size=1000)
    ctx.services = services

    for service, n, client_code, codes in hosting:
        sites = ctx.sites_of_copy(n)
        for code in codes:
            if client_code not in sites[code].definition.clients:
                raise DemoDataError(
                    f"service {service.code} is hosted at {code}, "
                    f"which does not serve {client_code}"
                )
            links.append(through(service_id=service.pk, site_id=sites[code].site.pk))
    through.objects.bulk_create(links, batch_size=1000)

    edges = _dependencies(ctx)
    ServiceDependency.objects.bulk_create(edges, batch_size=1000)
    ctx.count("services", len(services))
    ctx.count("service dependencies", len(edges))


def _dependencies(ctx: DemoContext) -> list[ServiceDependency]:
    """The stacks' edges, each checked with the cycle rule before it is added."""
    by_key = {(s.client_id, s.code): s for s in ctx.services}
    edges: list[ServiceDependency] = []
    for n in range(ctx.plan.copies):
        for client_def, client in zip(CLIENTS, ctx.clients[n], strict=True):
            local: list[tuple[int, int]] = []
            for d in STACKS[client_def.sector]:
                service = by_key[client.pk, d.code]
                for upstream in d.depends_on:
                    target = by_key[client.pk, upstream]
                    edge = (service.pk, target.pk)
                    # Stacks never share services, so a cycle can only close inside one stack.
                    if rules.cycle_path(local, edge):
                        raise DemoDataError(
                            f"demo stack {client_def.sector}: {d.code} → {upstream} closes a cycle"
                        )
                    local.append(edge)
                    edges.append(ServiceDependency(service=service, depends_on=target))
    return edges
