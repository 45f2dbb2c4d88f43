"""Load the demo organisation: an ordered list of builder steps run in one transaction.

Each capability adds its own builder module and appends a `Step` to `STEPS` (work orders after
services, changes after work orders, ...). Every step draws from its own seeded random stream
(`ctx.rng(name)`), so adding a step never changes the rows of the steps before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.core.bulk import no_cycle_collection
from opsdesk.people.models import Engineer
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site
from opsdesk.tenancy.models import Client

from . import (
    changes,
    dispatch_day,
    history,
    incidents,
    oncall,
    org,
    paging,
    people,
    servicegraph,
    sla_history,
    slas,
    slos,
    users,
    volume,
    workorders,
)
from .context import DemoContext, plan_for


class Step(NamedTuple):
    """One builder: a label for progress and a function that adds rows to the context."""

    label: str
    build: Callable[[DemoContext], None]


STEPS: list[Step] = [
    Step("regions and clients", org.build_regions_and_clients),
    Step("sites and requirements", org.build_sites),
    Step("skills and certifications", people.build_catalogue),
    Step("engineers", people.build_engineers),
    Step("services and dependencies", servicegraph.build_services),
    Step("users", users.build_users),
    Step("on-call schedules", oncall.build_oncall),
    Step("work order history (in the background)", volume.start_history),
    Step("changes, windows and freezes", changes.build_changes),
    Step("work orders", workorders.build_workorders),
    Step("the dispatch day's work", dispatch_day.build_dispatch_day),
    Step("alerts and incidents", incidents.build_incidents),
    Step("work order volume", volume.build_volume),
    Step("six months of SLA history", sla_history.build_sla_history),
    Step("timeline", history.record_creation),
    Step("SLA policies", slas.build_policies),
    Step("SLA clocks", slas.build_clocks),
    Step("SLOs and their measurements", slos.build_slos),
    Step("escalation policies", paging.build_paging),
]

DEFAULT_SEED = 1
Progress = Callable[[str, int, int], None]


class DemoRefused(Exception):
    """The database is not empty enough to load the demo into."""


def existing_data() -> str | None:
    """What organisation data the database already holds, or None when it holds none."""
    found = [
        label
        for label, model in (
            ("regions", Region),
            ("sites", Site),
            ("clients", Client),
            ("engineers", Engineer),
            ("services", Service),
        )
        if model.objects.exists()
    ]
    return ", ".join(found) or None


def load(
    size: str = "small",
    seed: int = DEFAULT_SEED,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    volume: int | None = None,
    time_of_day: dt.time | None = None,
) -> DemoContext:
    """Build the demo organisation in one transaction; refuse when the database already has data.

    `volume` overrides the size's number of generated work orders (demo/volume.py); `time_of_day`
    (UTC) fixes the demo's "now" on its today, else the current time of day is taken once.
    """
    plan = plan_for(size, volume)
    begun = clock.now()
    ctx = DemoContext(
        plan=plan,
        seed=seed,
        today=today or begun.date(),
        time_of_day=time_of_day or begun.time().replace(microsecond=0),
    )
    with transaction.atomic():
        found = existing_data()
        if found:
            raise DemoRefused(
                f"the database already holds {found}; the demo loads only into an empty database"
            )
        taken = sorted(
            User.objects.filter(username__in=users.demo_usernames(plan)).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise DemoRefused(f"demo username(s) already taken: {', '.join(taken)}")
        # The cyclic collector paused: the volume's history arrives from its generator process as
        # millions of small containers, which every collection would rescan (core.bulk).
        try:
            with no_cycle_collection():
                for done, step in enumerate(STEPS):
                    if progress:
                        progress(step.label, done, len(STEPS))
                    step.build(ctx)
        finally:
            for started in ctx.background.values():
                started.close()
        if progress:
            progress("done", len(STEPS), len(STEPS))
    return ctx
