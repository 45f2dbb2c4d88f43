"""Reads the work pages need beyond the work order queries: filter choices, the readiness checklist
as rows to show (local times, overdue), the client's plain-language status, the site rules shown at
check-in, the requirements to arrange, the category rules (fields, checklists).

Every read of tenant data is scoped through the lower apps' queries (core.tenancy underneath);
category fields and policies are public reference data. Times are computed here; templates format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from opsdesk.accounts import queries as account_queries
from opsdesk.core import clock
from opsdesk.services import queries as service_queries
from opsdesk.sites import queries as site_queries
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.tenancy import queries as client_queries

from .models import CategoryField, CategoryPolicy, Override, WorkOrder
from .readiness import queries as readiness_queries

# Requirements that are arranged per work order (the others are rules the engineer follows).
ARRANGEABLE = ("access_request", "induction", "escort", "security_clearance", "method_statement", "compliance")
# What a client is asked for, in their words.
CLIENT_WORDS = {
    "access_request": "site access approval",
    "induction": "site induction",
    "escort": "escort booking",
    "security_clearance": "security clearance",
    "method_statement": "method statement approval",
    "compliance": "compliance confirmation",
}
OWNER_SIDE = {
    "service_desk": "our service desk",
    "dispatch": "our dispatch team",
    "engineer": "our engineer",
    "site": "the site",
}


# The ZoneInfo for an IANA name (UTC for an unknown or empty one).
zone_of = clock.zone_or_utc


def viewer_zone(user: Any) -> str:
    """The user's own time zone name."""
    return getattr(user, "time_zone", "") or "UTC"


# -- filters and choices ----------------------------------------------------------------------


def filter_options(user: Any) -> dict[str, Any]:
    """What the queue's filter selects offer."""
    return {
        "states": WorkOrder.State.choices,
        "regions": site_queries.list_regions(user),
        "sites": site_queries.list_sites(user).select_related(None).prefetch_related(None).only("id", "code"),
        "owners": staff_users(user),
    }


def staff_users(user: Any) -> QuerySet[Any]:
    """Active staff users (owners, handoff receivers)."""
    return account_queries.list_users(user).exclude(role="client").filter(is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def request_choices(user: Any) -> dict[str, Any]:
    """What the request form offers: the user's sites, services, clients, category fields."""
    return {
        "sites": site_queries.list_sites(user),
        "services": service_queries.list_services(user).select_related("client"),
        "clients": client_queries.list_clients(user),
        "fields": category_fields(),
    }


def category_fields(category: str | None = None) -> list[CategoryField]:
    """The completeness rules: information each category needs (all categories when None)."""
    qs = CategoryField.objects.all()
    if category:
        qs = qs.filter(category=category)
    return list(qs.order_by("category", "id"))


def info_rows(wo: WorkOrder) -> list[tuple[str, str]]:
    """(label, value) of the category's information fields, then any other stored values."""
    info = wo.info or {}
    fields = category_fields(wo.category)
    rows = [(f.label, str(info.get(f.key, "") or "")) for f in fields]
    known = {f.key for f in fields}
    rows += [(k.replace("_", " ").capitalize(), str(v)) for k, v in sorted(info.items()) if k not in known]
    return rows


def checklist_for(category: str) -> list[str]:
    """The category's completion checklist (empty when it has no policy)."""
    policy = CategoryPolicy.objects.filter(category=category).first()
    return [str(i) for i in (policy.checklist if policy else [])]


# -- readiness as shown -----------------------------------------------------------------------


@dataclass(frozen=True)
class BlockerRow:
    """One readiness blocker as the page shows it."""

    key: str
    kind: str
    detail: str
    owner: str
    needed_by: dt.datetime | None
    rule: str
    overridden: bool
    overdue: bool
    override: Override | None = None


@dataclass(frozen=True)
class ReadinessView:
    """The checklist of one work order."""

    ready: bool
    at_risk: bool
    rows: list[BlockerRow]
    next_needed_by: dt.datetime | None
    notes: tuple[str, ...] = ()  # decided without blocking: where the work fits around a freeze

    @property
    def open_rows(self) -> list[BlockerRow]:
        """Blockers nobody overrode."""
        return [r for r in self.rows if not r.overridden]


def readiness_for(wo: WorkOrder) -> ReadinessView:
    """Evaluate readiness now and join each overridden blocker to its recorded override."""
    result = readiness_queries.evaluate_work_order(wo)
    now = clock.now()
    overrides = {o.blocker: o for o in Override.objects.filter(work_order=wo).select_related("by")}
    rows = [
        BlockerRow(
            key=b.key, kind=b.kind, detail=b.detail, owner=b.owner, needed_by=b.needed_by, rule=b.rule,
            overridden=b.overridden, overdue=bool(b.needed_by and b.needed_by <= now and not b.overridden),
            override=overrides.get(b.key),
        )
        for b in result.blockers
    ]
    rows.sort(key=lambda r: (r.overridden, r.needed_by is None, r.needed_by or now, r.key))
    return ReadinessView(result.ready, result.at_risk, rows, result.next_needed_by, result.notes)


@dataclass(frozen=True)
class ClientLine:
    """One sentence of the client's status, with the time it is needed by (both zones)."""

    text: str
    needed_by: dt.datetime | None
    overdue: bool
    yours: bool


def _requirement_id(key: str) -> int | None:
    head, _, tail = key.partition(":")
    return int(tail) if head in ("requirement", "site") and tail.isdigit() else None


def client_lines(wo: WorkOrder, view: ReadinessView) -> list[ClientLine]:
    """Readiness in plain language: what we wait for from the client (with needed-by), and what we
    are arranging ourselves."""
    kinds = dict(SiteRequirement.objects.filter(site_id=wo.site_id).values_list("id", "kind"))
    labels = {f.key: f.label for f in category_fields(wo.category)}
    lines: list[ClientLine] = []
    ours: dict[str, int] = {}
    for row in view.open_rows:
        if row.owner != "client":
            ours[row.owner] = ours.get(row.owner, 0) + 1
            continue
        req = _requirement_id(row.key)
        if row.kind == "information":
            key = row.key.partition(":")[2]
            what = f"the {labels.get(key, key.replace('_', ' ')).lower()}"
            text = f"We are waiting for you to tell us {what}"
        elif req is not None and kinds.get(req) in CLIENT_WORDS:
            text = f"We are waiting for your {CLIENT_WORDS[kinds[req]]}"
        else:
            text = f"We are waiting for you: {row.detail.rstrip('.')}"
        lines.append(ClientLine(text, row.needed_by, row.overdue, True))
    for owner, count in sorted(ours.items()):
        side = OWNER_SIDE.get(owner, "we")
        noun = "thing" if count == 1 else "things"
        lines.append(ClientLine(f"{side.capitalize()} is arranging {count} more {noun}", None, False, False))
    return lines


# -- site rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementRow:
    """A site requirement that applies to the work, with what has been arranged for it."""

    requirement: SiteRequirement
    arrangement: Any | None

    @property
    def state(self) -> str:
        """The arrangement's state ('' when nothing is recorded yet)."""
        return self.arrangement.state if self.arrangement else ""


def requirement_rows(user: Any, wo: WorkOrder) -> list[RequirementRow]:
    """Requirements of the work order's site that apply to its category and are arranged per work."""
    arranged = {a.requirement_id: a for a in wo.arrangements.all()}
    reqs = site_queries.list_site_requirements(user, site=wo.site_id, category=wo.category)
    return [RequirementRow(r, arranged.get(r.pk)) for r in reqs if r.kind in ARRANGEABLE]


def parts_of(wo: WorkOrder) -> list[Any]:
    """A work order's parts (prefetched by the work order queries)."""
    return list(wo.parts.all())


def site_of(user: Any, site_id: int) -> Site:
    """One site the user may see, or NotFound."""
    return site_queries.get_site(user, site_id)


# -- my work ----------------------------------------------------------------------------------


def engineer_today(user: Any) -> tuple[str, dt.date]:
    """The engineer's zone and today's date there (the user's zone when no engineer is linked)."""
    engineer = getattr(user, "engineer", None)
    zone = (engineer.time_zone if engineer is not None else "") or viewer_zone(user)
    return zone, clock.now().astimezone(zone_of(zone)).date()


def parse_day(value: str | None, fallback: dt.date) -> dt.date:
    """?day=YYYY-MM-DD, or the fallback."""
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return fallback
