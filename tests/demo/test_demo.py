"""The small demo organisation meets the foundation issue's shape (loaded once for this module)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.accounts.models import User
from opsdesk.demo.context import DemoContext, km_between, plan_for
from opsdesk.demo.data import DEMO_PASSWORD, H24
from opsdesk.people import rules as people_rules
from opsdesk.people.models import (
    Absence,
    Certification,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
    Skill,
)
from opsdesk.services import rules as service_rules
from opsdesk.services.models import Service, ServiceDependency
from opsdesk.sites import rules as site_rules
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.tenancy.models import Client

TODAY = dt.date(2026, 3, 2)
STAFF = {
    "admin": "admin",
    "desk": "service_desk",
    "dispatch": "dispatcher",
    "engineer": "engineer",
    "commander": "incident_commander",
    "approver": "change_approver",
}


pytestmark = pytest.mark.usefixtures("demo", "db")


def test_regions_sites_and_zones() -> None:
    assert set(Region.objects.values_list("code", flat=True)) == {"EMEA", "AMER", "APAC"}
    assert len(set(Region.objects.values_list("travel_speed_kmh", flat=True))) == 3
    sites = list(Site.objects.all())
    assert len(sites) >= 15
    assert len({s.time_zone for s in sites}) >= 6
    assert {"data_centre", "hospital", "office", "colocation"} <= {s.kind for s in sites}
    assert all(s.latitude is not None and s.longitude is not None for s in sites)
    assert {s.region.code for s in sites} == {"EMEA", "AMER", "APAC"}


def test_holiday_calendars_are_known_and_have_holidays() -> None:
    for site in Site.objects.all():
        assert site_rules.validate_holiday_calendar(site.holiday_country, site.holiday_subdivision)
        ahead = site_rules.holidays_between(
            site.holiday_country, site.holiday_subdivision, TODAY, TODAY + dt.timedelta(days=365)
        )
        assert ahead, site.code


def test_business_hours_differ_by_kind() -> None:
    sites = list(Site.objects.all())
    assert len({str(s.business_hours) for s in sites}) >= 4
    for site in sites:
        if site.kind == "data_centre":
            assert all(site.business_hours[d] == H24 for d in site_rules.WEEKDAYS), site.code
        if site.kind == "office":
            assert any(site.business_hours[d] == [] for d in ("sat", "sun")), site.code
            assert site.business_hours["mon"] and site.business_hours["mon"] != H24


def _mix(site: Site) -> frozenset[tuple[str, int, tuple[str, ...]]]:
    return frozenset(
        (r.kind, r.lead_time_hours, tuple(r.categories)) for r in site.requirements.all()
    )


def test_every_site_has_its_own_requirement_mix() -> None:
    sites = list(Site.objects.prefetch_related("requirements"))
    mixes = [_mix(s) for s in sites]
    assert all(mixes)
    assert len(set(mixes)) == len(sites)
    used = {kind for mix in mixes for kind, _, _ in mix}
    assert used == set(SiteRequirement.Kind.values)


def test_the_sites_the_issue_names() -> None:
    reqs = {
        s.code: list(s.requirements.all()) for s in Site.objects.prefetch_related("requirements")
    }
    kinds = {code: {r.kind for r in rs} for code, rs in reqs.items()}
    # 72 h access requests and an escort.
    assert any(
        "escort" in kinds[c]
        and any(r.kind == "access_request" and r.lead_time_hours == 72 for r in rs)
        for c, rs in reqs.items()
    )
    # A safety induction and only night work.
    night_only = [
        c
        for c, rs in reqs.items()
        if "induction" in kinds[c]
        and any(
            r.kind == "permitted_hours" and not r.categories and _nights_only(r.permitted_hours)
            for r in rs
        )
    ]
    assert night_only
    # A hospital with infection control, a colocation cage needing security clearance.
    hospitals = Site.objects.filter(kind="hospital")
    assert any(
        r.kind == "compliance" and "infection" in r.description.lower()
        for h in hospitals
        for r in reqs[h.code]
    )
    assert any(
        "security_clearance" in kinds[s.code] for s in Site.objects.filter(kind="colocation")
    )
    # Permitted hours validate and differ from plain business hours.
    for r in SiteRequirement.objects.filter(kind="permitted_hours"):
        assert site_rules.validate_business_hours(r.permitted_hours) == r.permitted_hours


def _nights_only(hours: dict[str, list[list[str]]] | None) -> bool:
    """Every permitted interval lies between 22:00 and 06:00."""
    assert hours is not None
    intervals = [p for d in site_rules.WEEKDAYS for p in hours[d]]
    return bool(intervals) and all(
        (a == "00:00" and b <= "06:00") or (a >= "22:00" and b == "24:00") for a, b in intervals
    )


def test_engineers_are_based_near_sites_with_varied_shifts() -> None:
    engineers = list(Engineer.objects.select_related("home_region"))
    assert len(engineers) >= 60
    assert {e.home_region.code for e in engineers} == {"EMEA", "AMER", "APAC"}
    sites = list(Site.objects.select_related("region"))
    for e in engineers:
        nearest = min(
            km_between((e.base_latitude, e.base_longitude), (s.latitude, s.longitude))
            for s in sites
            if s.region_id == e.home_region_id
        )
        assert nearest <= 45, e.name
        site_rules.validate_time_zone(e.time_zone)
    patterns = Counter(str(e.working_hours) for e in engineers)
    assert len(patterns) >= 4
    assert any(e.working_hours["sat"] for e in engineers)
    assert any(["22:00", "24:00"] in e.working_hours["mon"] for e in engineers)
    assert len({e.email for e in engineers}) == len(engineers)


def test_the_night_only_site_has_night_engineers_with_induction() -> None:
    site = next(
        s
        for s in Site.objects.all()
        if any(r.kind == "permitted_hours" and not r.categories for r in s.requirements.all())
    )
    inducted = Engineer.objects.filter(site_access__site=site, site_access__kind="induction")
    assert any(["22:00", "24:00"] in e.working_hours["tue"] for e in inducted)


def test_skills_certifications_access_and_absences() -> None:
    assert Skill.objects.count() >= 12 and Certification.objects.count() >= 6
    assert EngineerSkill.objects.values("skill").distinct().count() == Skill.objects.count()
    assert set(EngineerSkill.objects.values_list("level", flat=True)) == {1, 2, 3, 4, 5}
    statuses = Counter(
        people_rules.expiry_status(d, TODAY)
        for d in EngineerCertification.objects.values_list("expires_on", flat=True)
    )
    assert statuses["expired"] > 0 and statuses["expiring"] > 0
    assert statuses["valid"] > statuses["expired"] + statuses["expiring"]
    access = Counter(
        people_rules.expiry_status(d, TODAY)
        for d in SiteAccess.objects.values_list("expires_on", flat=True)
    )
    assert access["expiring"] > 0 and access["valid"] > 0
    assert {"access", "induction", "clearance"} == set(
        SiteAccess.objects.values_list("kind", flat=True)
    )
    assert Engineer.objects.filter(site_access__isnull=True).count() == 0
    assert Absence.objects.exists()


def test_clients_services_and_acyclic_dependencies() -> None:
    assert Client.objects.count() == 5
    epr = Service.objects.get(code="epr")
    assert epr.client.sites.filter(kind="hospital").exists()
    assert Service.objects.count() >= 30
    assert len(set(Service.objects.values_list("criticality", flat=True))) == 4
    edges = list(ServiceDependency.objects.values_list("service_id", "depends_on_id"))
    for i, edge in enumerate(edges):
        assert service_rules.cycle_path(edges[:i] + edges[i + 1 :], edge) is None
    names = dict(Service.objects.values_list("pk", "name"))
    upstream = {names[p] for p in service_rules.upstream(epr.pk, edges)}
    assert {"EPR database cluster", "Storage array (DC2)", "Core switch DC2"} <= upstream
    assert "Clinical imaging (PACS)" in {names[p] for p in service_rules.downstream(epr.pk, edges)}
    for service in Service.objects.prefetch_related("sites__clients"):
        hosts = list(service.sites.all())
        assert hosts and all(service.client in s.clients.all() for s in hosts), service.code
    assert (
        Site.objects.filter(kind="colocation", clients__isnull=False)
        .values("pk")
        .distinct()
        .count()
        >= 2
    )
    assert max(s.clients.count() for s in Site.objects.filter(kind="colocation")) >= 3


def test_users_one_per_staff_role_and_client() -> None:
    for username, role in STAFF.items():
        assert User.objects.get(username=username).role == role
    for client in Client.objects.all():
        users = list(User.objects.filter(client=client))
        assert [u.username for u in users] == [f"client-{client.code}"]
        assert users[0].role == "client"
    linked = Engineer.objects.filter(user__isnull=False).select_related("user", "home_region")
    assert {e.home_region.code for e in linked} == {"EMEA", "AMER", "APAC"}
    assert all(e.user.role == "engineer" and e.user.time_zone == e.time_zone for e in linked)
    assert len(set(User.objects.values_list("password", flat=True))) == 1
    assert User.objects.get(username="admin").check_password(DEMO_PASSWORD)
    assert User.objects.get(username="admin").is_superuser


def test_every_row_passes_full_clean() -> None:
    models = (
        Region,
        Client,
        Site,
        SiteRequirement,
        Skill,
        Certification,
        Engineer,
        EngineerSkill,
        EngineerCertification,
        SiteAccess,
        Absence,
        Service,
        ServiceDependency,
        User,
    )
    for model in models:
        rows = list(model.objects.all())
        assert rows, model.__name__
        for row in rows:
            row.full_clean()


def test_counts_match_the_plan(demo: DemoContext) -> None:
    plan = plan_for("small")
    assert Site.objects.count() == plan.sites == demo.counts["sites"]
    assert Engineer.objects.count() == plan.engineers
    assert Service.objects.count() == plan.services
    assert Client.objects.count() == plan.clients


def test_command_skips_a_loaded_database_with_if_empty() -> None:
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "demo already loaded" in text
    for username in [*STAFF, "client-northgate", "engineer-apac"]:
        assert username in text
    assert DEMO_PASSWORD in text


def test_command_refuses_to_load_twice() -> None:
    before = Site.objects.count()
    with pytest.raises(CommandError, match="already holds"):
        call_command("demo", stdout=StringIO())
    assert Site.objects.count() == before
