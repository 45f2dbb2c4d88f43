"""Use cases for regions, sites and site requirements."""

from __future__ import annotations

from typing import Any

from opsdesk.accounts.models import User
from opsdesk.core import crud
from opsdesk.tenancy.models import Client

from .models import Region, Site, SiteRequirement


def _split_site(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    fields = {("region_id" if k == "region" else k): v for k, v in data.items() if k != "clients"}
    m2m = {"clients": crud.resolve_ids(Client, data["clients"], "clients")} if data.get("clients") is not None else {}
    return fields, m2m


def create_region(data: dict[str, Any], *, actor: User) -> Region:
    """Add a region."""
    return crud.create(Region, data, actor=actor)


def update_region(region: Region, data: dict[str, Any], *, actor: User) -> Region:
    """Change a region."""
    return crud.update(region, data, actor=actor)


def delete_region(region: Region, *, actor: User) -> None:
    """Remove a region without sites or engineers."""
    crud.delete(region, actor=actor)


def create_site(data: dict[str, Any], *, actor: User) -> Site:
    """Add a site with its calendar; validated by the site's rules."""
    fields, m2m = _split_site(data)
    return crud.create(Site, fields, actor=actor, m2m=m2m)


def update_site(site: Site, data: dict[str, Any], *, actor: User) -> Site:
    """Change a site."""
    fields, m2m = _split_site(data)
    return crud.update(site, fields, actor=actor, m2m=m2m)


def delete_site(site: Site, *, actor: User) -> None:
    """Remove a site nothing refers to."""
    crud.delete(site, actor=actor)


def create_requirement(data: dict[str, Any], *, actor: User) -> SiteRequirement:
    """Add a rule to a site."""
    fields = {("site_id" if k == "site" else k): v for k, v in data.items()}
    return crud.create(SiteRequirement, fields, actor=actor)


def update_requirement(req: SiteRequirement, data: dict[str, Any], *, actor: User) -> SiteRequirement:
    """Change a site rule."""
    return crud.update(req, data, actor=actor)


def delete_requirement(req: SiteRequirement, *, actor: User) -> None:
    """Remove a site rule."""
    crud.delete(req, actor=actor)
