"""The demo's own timeline entries: each demo object starts with a 'created' entry."""

from __future__ import annotations

from opsdesk.core import timeline
from opsdesk.people.models import Engineer
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.tenancy.models import Client

from .context import DemoContext


def record_creation(ctx: DemoContext) -> None:
    """Record who created the demo rows, so every page's timeline starts somewhere."""
    for model in (Region, Client, Site, SiteRequirement, Engineer, Service):
        timeline.record_many(
            model.objects.all().iterator(chunk_size=2000),
            "created",
            actor_label="demo",
            summary=f"{str(model._meta.verbose_name).capitalize()} created by opsdesk demo (seed {ctx.seed})",
        )
