"""Loading the demo: determinism, one transaction, refusals, the command, and the large size."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from opsdesk.accounts.models import User
from opsdesk.demo import loader
from opsdesk.demo.context import DemoContext, plan_for
from opsdesk.demo.data import CLIENTS, DEMO_PASSWORD
from opsdesk.demo.service_data import STACKS
from opsdesk.demo.site_data import SITES
from opsdesk.people.models import (
    Absence,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
)
from opsdesk.services.models import Service, ServiceDependency
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.tenancy.models import Client
from tests import factories as f

TODAY = dt.date(2026, 3, 2)
TIME_OF_DAY = dt.time(10, 0)


def canonical() -> dict[str, list[Any]]:
    """Every demo row by natural keys (no ids, no audit timestamps), sorted."""

    def rows(qs: Any, *fields: str) -> list[Any]:
        return sorted(map(repr, qs.values_list(*fields)))

    return {
        "regions": rows(Region.objects, "code", "name", "travel_speed_kmh"),
        "clients": rows(Client.objects, "code", "name", "contact_email"),
        "sites": rows(
            Site.objects,
            "code",
            "name",
            "kind",
            "region__code",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "holiday_country",
            "holiday_subdivision",
            "business_hours",
        ),
        "site_clients": rows(Site.clients.through.objects, "site__code", "client__code"),
        "requirements": rows(
            SiteRequirement.objects,
            "site__code",
            "kind",
            "description",
            "lead_time_hours",
            "categories",
            "blocking",
            "permitted_hours",
        ),
        "engineers": rows(
            Engineer.objects,
            "email",
            "name",
            "phone",
            "home_region__code",
            "base_location",
            "base_latitude",
            "base_longitude",
            "time_zone",
            "working_hours",
            "user__username",
        ),
        "skills": rows(EngineerSkill.objects, "engineer__email", "skill__code", "level"),
        "certs": rows(
            EngineerCertification.objects,
            "engineer__email",
            "certification__code",
            "obtained_on",
            "expires_on",
        ),
        "access": rows(
            SiteAccess.objects, "engineer__email", "site__code", "kind", "granted_on", "expires_on"
        ),
        "absences": rows(Absence.objects, "engineer__email", "start_at", "end_at", "reason"),
        "services": rows(Service.objects, "client__code", "code", "name", "kind", "criticality"),
        "hosting": rows(
            Service.sites.through.objects, "service__client__code", "service__code", "site__code"
        ),
        "dependencies": rows(
            ServiceDependency.objects, "service__client__code", "service__code", "depends_on__code"
        ),
        "users": rows(
            User.objects,
            "username",
            "role",
            "client__code",
            "first_name",
            "last_name",
            "email",
            "time_zone",
        ),
    }


def load_and_dump(seed: int, size: str = "small") -> dict[str, list[Any]]:
    """Load into the (empty) test database, dump, and roll the load back."""
    with transaction.atomic():
        loader.load(size, seed, today=TODAY, time_of_day=TIME_OF_DAY)
        dump = canonical()
        transaction.set_rollback(True)
    assert not Site.objects.exists()
    return dump


@pytest.mark.django_db
def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = load_and_dump(7)
    second = load_and_dump(7)
    assert first == second
    other = load_and_dump(8)
    assert other != first
    # The hand-made organisation is the same whatever the seed; what is drawn differs.
    assert other["sites"] == first["sites"] and other["requirements"] == first["requirements"]
    assert other["engineers"] != first["engineers"]


@pytest.mark.django_db
def test_a_failing_step_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(ctx: DemoContext) -> None:
        assert Site.objects.exists()
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "STEPS", [*loader.STEPS, loader.Step("explode", explode)])
    with pytest.raises(RuntimeError, match="boom"):
        loader.load("small", 1, today=TODAY, time_of_day=TIME_OF_DAY)
    assert not Region.objects.exists() and not Site.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_refuses_when_a_demo_username_is_taken() -> None:
    f.make_user("admin", username="admin")
    with pytest.raises(loader.DemoRefused, match="admin"):
        loader.load("small", 1, today=TODAY, time_of_day=TIME_OF_DAY)
    assert not Site.objects.exists()


@pytest.mark.django_db
def test_refuses_on_existing_organisation_data() -> None:
    f.make_site()
    with pytest.raises(loader.DemoRefused, match="sites"):
        loader.load("small", 1, today=TODAY, time_of_day=TIME_OF_DAY)


@pytest.mark.django_db
def test_command_loads_prints_logins_then_skips_with_if_empty() -> None:
    out = StringIO()
    call_command("demo", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "Loaded the small demo (seed 3)" in text
    for username in (
        "admin",
        "desk",
        "dispatch",
        "engineer",
        "commander",
        "approver",
        "engineer-amer",
        "client-northgate",
        "client-orbit",
    ):
        assert username in text
    assert DEMO_PASSWORD in text
    sites = Site.objects.count()

    again = StringIO()
    call_command("demo", "--if-empty", stdout=again)
    assert "demo already loaded" in again.getvalue()
    assert "client-northgate" in again.getvalue()
    assert Site.objects.count() == sites


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo size"):
        plan_for("huge")


@pytest.mark.django_db
def test_large_is_at_least_ten_times_small() -> None:
    small, large = plan_for("small"), plan_for("large")
    ctx = loader.load("large", 1, today=TODAY, time_of_day=TIME_OF_DAY, volume=20_000)  # the volume itself: tests/demo/test_volume.py
    counts = {
        "sites": Site.objects.count(),
        "engineers": Engineer.objects.count(),
        "services": Service.objects.count(),
        "clients": Client.objects.count(),
        "dependencies": ServiceDependency.objects.count(),
        "requirements": SiteRequirement.objects.count(),
    }
    assert counts["sites"] >= max(150, 10 * small.sites) and counts["sites"] == large.sites
    assert counts["engineers"] >= max(600, 10 * small.engineers)
    assert counts["services"] >= max(300, 10 * small.services)
    assert counts["clients"] >= 10 * small.clients
    small_edges = sum(len(d.depends_on) for c in CLIENTS for d in STACKS[c.sector])
    assert counts["dependencies"] == 10 * small_edges == ctx.counts["service dependencies"]
    small_requirements = sum(len(s.requirements) for s in SITES)
    assert counts["requirements"] >= 8 * small_requirements  # siblings sometimes drop one rule
    # Same shape: every client has a user, sites keep unique codes and valid calendars.
    assert User.objects.filter(role="client").count() == counts["clients"]
    assert len(set(Site.objects.values_list("time_zone", flat=True))) >= 20
    assert Engineer.objects.filter(site_access__isnull=True).count() == 0
