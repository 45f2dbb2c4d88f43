"""Builder steps for the organisation: regions, clients, sites and their requirements."""

from __future__ import annotations

import copy as copying
import random

from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.tenancy.models import Client

from .context import DemoContext, PlacedSite, jitter, validate
from .data import CITIES, CLIENT_STEMS, CLIENTS, REGIONS, SECTOR_SUFFIX, WORK_CATEGORIES, ClientDef
from .site_data import SITES, Req, SiteDef

KIND_NAMES = {
    "data_centre": ("dc", "{city} DC{n}"),
    "colocation": ("colo", "{city} Colo {n}"),
    "hospital": ("hosp", "{city} Hospital {n}"),
    "office": ("office", "{city} Office {n}"),
}


def build_regions_and_clients(ctx: DemoContext) -> None:
    """Create the three regions and each copy's five clients."""
    regions = [
        Region(code=r.code, name=r.name, travel_speed_kmh=r.travel_speed_kmh) for r in REGIONS
    ]
    for region in regions:
        validate(region)
    ctx.regions = {r.code: r for r in Region.objects.bulk_create(regions)}
    clients: list[Client] = []
    for n in range(ctx.plan.copies):
        for c in CLIENTS:
            code, name = client_identity(n, c)
            client = Client(
                code=code,
                name=name,
                description=c.description,
                contact_email=f"service@{code}.example",
            )
            validate(client)
            clients.append(client)
    created = Client.objects.bulk_create(clients)
    per = len(CLIENTS)
    ctx.clients = [created[i * per : (i + 1) * per] for i in range(ctx.plan.copies)]
    ctx.count("regions", len(regions))
    ctx.count("clients", len(created))


def client_identity(copy: int, c: ClientDef) -> tuple[str, str]:
    """Code and name of the client standing for `c` in a copy of the organisation."""
    if copy == 0:
        return c.code, c.name
    stem = CLIENT_STEMS[(copy - 1) % len(CLIENT_STEMS)]
    suffix = "" if copy <= len(CLIENT_STEMS) else f" {copy}"
    return (
        f"{stem.lower()}-{c.sector}{suffix.replace(' ', '-')}",
        f"{stem} {SECTOR_SUFFIX[c.sector]}{suffix}",
    )


def build_sites(ctx: DemoContext) -> None:
    """Create each copy's sites with their clients and requirements."""
    rng = ctx.rng("sites")
    used: dict[tuple[str, str], int] = {}
    placed: list[PlacedSite] = []
    for n in range(ctx.plan.copies):
        for definition in SITES:
            region = ctx.regions[definition.region]
            if n == 0:
                site, city = _site(definition, region), definition.city
            else:
                site, city = _sibling(definition, region, rng, used)
            validate(site)
            placed.append(PlacedSite(site=site, definition=definition, copy=n, city=city))
    Site.objects.bulk_create([p.site for p in placed], batch_size=500)
    ctx.sites = placed

    links = [
        Site.clients.through(site_id=p.site.pk, client_id=ctx.client_for(p.copy, code).pk)
        for p in placed
        for code in p.definition.clients
    ]
    Site.clients.through.objects.bulk_create(links, batch_size=1000)

    requirements: list[SiteRequirement] = []
    for p in placed:
        mix = p.definition.requirements if p.copy == 0 else _vary(p.definition.requirements, rng)
        for req in mix:
            requirement = SiteRequirement(
                site=p.site,
                kind=req.kind,
                description=req.description.format(lead=req.lead_time_hours),
                lead_time_hours=req.lead_time_hours,
                categories=list(req.categories),
                blocking=req.blocking,
                permitted_hours=copying.deepcopy(req.permitted_hours),
            )
            validate(requirement)
            requirements.append(requirement)
    SiteRequirement.objects.bulk_create(requirements, batch_size=1000)
    ctx.count("sites", len(placed))
    ctx.count("site requirements", len(requirements))


def _site(d: SiteDef, region: Region) -> Site:
    """A small-demo site exactly as defined."""
    return Site(
        code=d.code,
        name=d.name,
        kind=d.kind,
        region=region,
        address=d.address,
        latitude=d.lat,
        longitude=d.lon,
        time_zone=d.time_zone,
        holiday_country=d.country,
        holiday_subdivision=d.subdivision,
        business_hours=copying.deepcopy(d.hours),
    )


def _sibling(
    d: SiteDef, region: Region, rng: random.Random, used: dict[tuple[str, str], int]
) -> tuple[Site, str]:
    """A large-demo site of the same kind and rules as `d`, in another real city of its region."""
    city = rng.choice(CITIES[d.region])
    abbr, pattern = KIND_NAMES[d.kind]
    n = used[city.code, abbr] = used.get((city.code, abbr), 0) + 1
    lat, lon = jitter(city.lat, city.lon, rng, 2, 25)
    return Site(
        code=f"{city.code}-{abbr}-{n:02d}",
        name=pattern.format(city=city.name, n=n),
        kind=d.kind,
        region=region,
        address=f"{city.name}, {city.country}",
        latitude=lat,
        longitude=lon,
        time_zone=city.time_zone,
        holiday_country=city.country,
        holiday_subdivision=city.subdivision,
        business_hours=copying.deepcopy(d.hours),
    ), city.name


def _vary(mix: tuple[Req, ...], rng: random.Random) -> list[Req]:
    """The same kinds of rule with other lead times and categories, sometimes one fewer."""
    varied: list[Req] = []
    for i, req in enumerate(mix):
        if i > 0 and rng.random() < 0.1:
            continue
        lead = req.lead_time_hours
        if lead:
            lead = rng.choice((lead, lead, max(lead // 2, 12), lead + 24, lead * 2))
        categories = set(req.categories)
        if categories and rng.random() < 0.3:
            categories.add(rng.choice(WORK_CATEGORIES))
        ordered = tuple(c for c in WORK_CATEGORIES if c in categories)
        varied.append(req._replace(lead_time_hours=lead, categories=ordered))
    return varied
