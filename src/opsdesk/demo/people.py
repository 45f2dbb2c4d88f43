"""Builder steps for people: the skill and certification catalogue, engineers and what qualifies them."""

from __future__ import annotations

import copy as copying
import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from opsdesk.people.models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)

from .context import DemoContext, PlacedSite, jitter, km_between, validate
from .data import (
    ABSENCE_REASONS,
    CERTIFICATIONS,
    CERTS_BY_SKILL,
    FIRST_NAMES,
    LAST_NAMES,
    PHONE_PREFIX,
    SHIFT_WEIGHTS,
    SHIFTS,
    SKILLS,
    SKILLS_BY_KIND,
)

# Engineers whose position in the list hits these get a certification expiring soon and an
# absence, so every demo, whatever the seed, shows both.
EXPIRING_EVERY, ABSENT_EVERY = 10, 12


def build_catalogue(ctx: DemoContext) -> None:
    """Create the skills and certification types."""
    skills = [Skill(code=code, name=name) for code, name in SKILLS]
    certs = [Certification(code=c, name=n, validity_months=m) for c, n, m in CERTIFICATIONS]
    for obj in [*skills, *certs]:
        validate(obj)
    Skill.objects.bulk_create(skills)
    Certification.objects.bulk_create(certs)
    ctx.count("skills", len(skills))
    ctx.count("certification types", len(certs))


def build_engineers(ctx: DemoContext) -> None:
    """Create engineers based near each site, with skills, certifications, site access and absences."""
    rng = ctx.rng("engineers")
    emails: set[str] = set()
    homes: list[PlacedSite] = []
    engineers: list[Engineer] = []
    for placed in ctx.sites:
        d = placed.definition
        for i in range(d.engineers):
            shift = d.shifts[i] if i < len(d.shifts) else _weighted(rng, SHIFT_WEIGHTS)
            engineers.append(_engineer(placed, shift, rng, emails))
            homes.append(placed)
    for engineer in engineers:
        validate(engineer)
    Engineer.objects.bulk_create(engineers, batch_size=500)
    ctx.engineers = engineers
    ctx.engineer_sites = {e.pk: home for e, home in zip(engineers, homes, strict=True)}

    skills = {s.code: s for s in Skill.objects.all()}
    certs = {c.code: c for c in Certification.objects.all()}
    held: list[EngineerSkill] = []
    certified: list[EngineerCertification] = []
    access: list[SiteAccess] = []
    absences: list[Absence] = []
    for index, (engineer, home) in enumerate(zip(engineers, homes, strict=True)):
        codes = _skills_for(home.definition.kind, rng)
        held.extend(
            EngineerSkill(engineer=engineer, skill=skills[c], level=lvl) for c, lvl in codes
        )
        certified.extend(
            _certifications(
                ctx,
                engineer,
                [c for c, _ in codes],
                home,
                certs,
                rng,
                expiring=index % EXPIRING_EVERY == 3,
            )
        )
        access.extend(_site_access(ctx, engineer, home, rng))
        if index % ABSENT_EVERY == 5:
            absences.append(_absence(ctx, engineer, rng))
    for row in [*held, *certified, *access, *absences]:
        validate(row)
    EngineerSkill.objects.bulk_create(held, batch_size=1000)
    EngineerCertification.objects.bulk_create(certified, batch_size=1000)
    SiteAccess.objects.bulk_create(access, batch_size=1000)
    Absence.objects.bulk_create(absences, batch_size=1000)
    ctx.count("engineers", len(engineers))
    ctx.count("engineer skills", len(held))
    ctx.count("engineer certifications", len(certified))
    ctx.count("site access grants", len(access))
    ctx.count("absences", len(absences))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """One key, chosen with the given weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _engineer(placed: PlacedSite, shift: str, rng: random.Random, emails: set[str]) -> Engineer:
    """An engineer based 3-40 km from a site, in its zone, on one shift pattern."""
    region = placed.definition.region
    first, last = rng.choice(FIRST_NAMES[region]), rng.choice(LAST_NAMES[region])
    local = f"{slugify(first)}.{slugify(last)}".replace("-", "")
    email, n = f"{local}@opsdesk.example", 1
    while email in emails:
        n += 1
        email = f"{local}{n}@opsdesk.example"
    emails.add(email)
    site = placed.site
    assert site.latitude is not None and site.longitude is not None
    lat, lon = jitter(site.latitude, site.longitude, rng, 3, 40)
    return Engineer(
        name=f"{first} {last}",
        email=email,
        phone=f"{PHONE_PREFIX[region]} {rng.randint(100, 199):04d}",
        home_region=site.region,
        base_location=f"{placed.city} area",
        base_latitude=lat,
        base_longitude=lon,
        time_zone=site.time_zone,
        working_hours=copying.deepcopy(SHIFTS[shift]),
    )


def _skills_for(kind: str, rng: random.Random) -> list[tuple[str, int]]:
    """Three to five skills: two core ones for the site kind at higher levels, then others."""
    pool = list(SKILLS_BY_KIND[kind])
    core = rng.sample(pool[:3], 2)
    rest = [s for s in pool if s not in core]
    if rng.random() < 0.2:
        rest.append(rng.choice([code for code, _ in SKILLS if code not in pool]))
    extra = rng.sample(rest, rng.randint(1, 3))
    return [(c, rng.randint(3, 5)) for c in core] + [(c, rng.randint(1, 4)) for c in extra]


def _expiry(
    ctx: DemoContext,
    rng: random.Random,
    valid_days: int,
    *,
    expired: float,
    expiring: float,
    force_expiring: bool = False,
) -> dt.date:
    """An expiry date around today: some past, some within 30 days, most further ahead."""
    roll = rng.random()
    if force_expiring or expired <= roll < expired + expiring:
        return ctx.today + dt.timedelta(days=rng.randint(0, 30))
    if roll < expired:
        return ctx.today - dt.timedelta(days=rng.randint(1, 200))
    return ctx.today + dt.timedelta(days=rng.randint(31, max(valid_days - 1, 32)))


def _certifications(
    ctx: DemoContext,
    engineer: Engineer,
    skill_codes: list[str],
    home: PlacedSite,
    certs: dict[str, Certification],
    rng: random.Random,
    *,
    expiring: bool,
) -> list[EngineerCertification]:
    """Certifications that go with the engineer's skills (infection control at hospitals)."""
    codes = list(dict.fromkeys(CERTS_BY_SKILL[c] for c in skill_codes))[:3]
    if home.definition.kind == "hospital" and "infection-control" not in codes:
        codes.append("infection-control")
    rows = []
    for i, code in enumerate(codes):
        cert = certs[code]
        valid_days = cert.validity_months * 365 // 12
        expires = _expiry(
            ctx, rng, valid_days, expired=0.08, expiring=0.1, force_expiring=expiring and i == 0
        )
        rows.append(
            EngineerCertification(
                engineer=engineer,
                certification=cert,
                obtained_on=expires - dt.timedelta(days=valid_days),
                expires_on=expires,
            )
        )
    return rows


def _site_access(
    ctx: DemoContext, engineer: Engineer, home: PlacedSite, rng: random.Random
) -> list[SiteAccess]:
    """Access at the home site and one to three nearby sites, with inductions and clearances."""
    base = (engineer.base_latitude or 0.0, engineer.base_longitude or 0.0)
    nearby = sorted(
        (
            p
            for p in ctx.sites
            if p.copy == home.copy
            and p.definition.region == home.definition.region
            and p is not home
        ),
        key=lambda p: km_between(base, (p.site.latitude or 0.0, p.site.longitude or 0.0)),
    )[: rng.randint(1, 3)]
    rows: list[SiteAccess] = []
    for placed in [home, *nearby]:
        at_home = placed is home
        kinds = {r.kind for r in placed.definition.requirements}
        grants = [("access", 365, 1.0 if at_home else 0.8)]
        if "induction" in kinds:
            grants.append(("induction", 365, 0.9 if at_home else 0.6))
        if "security_clearance" in kinds:
            grants.append(("clearance", 3 * 365, 0.7 if at_home else 0.4))
        for kind, valid_days, chance in grants:
            if rng.random() >= chance:
                continue
            if kind == "access" and at_home and rng.random() < 0.5:
                expires: dt.date | None = None  # a standing badge at the home site
            else:
                expires = _expiry(ctx, rng, valid_days, expired=0.05, expiring=0.1)
            granted = (expires or ctx.today) - dt.timedelta(
                days=valid_days if expires else rng.randint(30, 900)
            )
            rows.append(
                SiteAccess(
                    engineer=engineer,
                    site=placed.site,
                    kind=kind,
                    granted_on=granted,
                    expires_on=expires,
                )
            )
    return rows


def _absence(ctx: DemoContext, engineer: Engineer, rng: random.Random) -> Absence:
    """A spell of leave, training or sickness near today, in the engineer's local days."""
    zone = ZoneInfo(engineer.time_zone)
    first = ctx.today + dt.timedelta(days=rng.randint(-5, 21))
    days = rng.randint(1, 10)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time(0), tzinfo=zone)
    return Absence(
        engineer=engineer,
        start_at=start.astimezone(dt.UTC),
        end_at=end.astimezone(dt.UTC),
        reason=rng.choice(ABSENCE_REASONS),
    )
