"""Factories: build real rows in the test database with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from opsdesk.accounts import services as account_services
from opsdesk.accounts.models import User
from opsdesk.people.models import (
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)
from opsdesk.services.models import Service, ServiceDependency
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.tenancy.models import Client

_seq = itertools.count(1)


def n() -> int:
    """A unique number for names and codes."""
    return next(_seq)


def make_client(**kw: Any) -> Client:
    i = n()
    kw.setdefault("code", f"client-{i}")
    kw.setdefault("name", f"Client {i}")
    return Client.objects.create(**kw)


def make_region(**kw: Any) -> Region:
    i = n()
    kw.setdefault("code", f"R{i}")
    kw.setdefault("name", f"Region {i}")
    return Region.objects.create(**kw)


def make_site(*, clients: list[Client] | None = None, **kw: Any) -> Site:
    i = n()
    kw.setdefault("code", f"site-{i}")
    kw.setdefault("name", f"Site {i}")
    kw.setdefault("kind", Site.Kind.DATA_CENTRE)
    kw.setdefault("time_zone", "Europe/London")
    kw.setdefault("holiday_country", "GB")
    kw.setdefault("holiday_subdivision", "ENG")
    if "region" not in kw:
        kw["region"] = make_region()
    site = Site.objects.create(**kw)
    if clients:
        site.clients.set(clients)
    return site


def make_requirement(site: Site, **kw: Any) -> SiteRequirement:
    kw.setdefault("kind", SiteRequirement.Kind.ACCESS_REQUEST)
    kw.setdefault("description", "Submit an access request")
    kw.setdefault("lead_time_hours", 72)
    return SiteRequirement.objects.create(site=site, **kw)


def make_user(role: str = "service_desk", *, client: Client | None = None, **kw: Any) -> User:
    i = n()
    return account_services.create_user(
        username=kw.pop("username", f"{role}{i}"),
        role=role,
        client=client,
        password=kw.pop("password", "correct horse battery staple"),
        email=kw.pop("email", f"{role}{i}@example.test"),
        check_password=False,
        **kw,
    )


def make_token(user: User, scopes: list[str] | None = None) -> str:
    _, raw = account_services.create_token(user, scopes=scopes or ["read", "write"])
    return raw


def make_engineer(region: Region | None = None, **kw: Any) -> Engineer:
    i = n()
    kw.setdefault("name", f"Engineer {i}")
    kw.setdefault("time_zone", "Europe/London")
    return Engineer.objects.create(home_region=region or make_region(), **kw)


def give_skill(engineer: Engineer, code: str, level: int = 3) -> EngineerSkill:
    skill, _ = Skill.objects.get_or_create(code=code, defaults={"name": code.replace("-", " ").title()})
    return EngineerSkill.objects.create(engineer=engineer, skill=skill, level=level)


def give_certification(engineer: Engineer, code: str, expires_on: dt.date) -> EngineerCertification:
    cert, _ = Certification.objects.get_or_create(code=code, defaults={"name": code.upper()})
    return EngineerCertification.objects.create(engineer=engineer, certification=cert, expires_on=expires_on)


def give_access(engineer: Engineer, site: Site, kind: str = "access", expires_on: dt.date | None = None) -> SiteAccess:
    return SiteAccess.objects.create(engineer=engineer, site=site, kind=kind, expires_on=expires_on)


def make_service(client: Client | None = None, *, sites: list[Site] | None = None, **kw: Any) -> Service:
    i = n()
    kw.setdefault("code", f"svc-{i}")
    kw.setdefault("name", f"Service {i}")
    service = Service.objects.create(client=client or make_client(), **kw)
    if sites:
        service.sites.set(sites)
    return service


def depend(service: Service, on: Service) -> ServiceDependency:
    return ServiceDependency.objects.create(service=service, depends_on=on)


def clear_category_rules() -> None:
    """Remove the seeded completeness rules and category policies, so a test defines exactly its own."""
    from opsdesk.workorders.models import CategoryField, CategoryPolicy

    CategoryField.objects.all().delete()
    CategoryPolicy.objects.all().delete()
