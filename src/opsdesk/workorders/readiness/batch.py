"""The facts of a batch of work orders, loaded in a bounded number of queries, and the inputs of
the pure rules (readiness.rules, eligibility) built from them in memory.

One work order and a thousand cost the same number of queries: everything is loaded per batch
(sites, their requirements, category fields and policies, arrangements, parts, overrides,
linked changes, freeze rules, and the candidate engineers with only the skills, certifications,
access and absences the batch asks about), then each work order is judged in memory.
Candidates for a site are the active engineers of its region plus any active engineer holding
access there; an assigned engineer is always judged, even from elsewhere or inactive.
The entry points are in readiness.queries (and readiness.forked for bulk loads).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows import queries as window_queries
from opsdesk.changes.windows import rules as window_rules
from opsdesk.core.queries import id_list, value_rows
from opsdesk.people.models import (
    Absence,
    Engineer,
    EngineerCertification,
    EngineerSkill,
    SiteAccess,
)
from opsdesk.sites.models import Site, SiteRequirement
from opsdesk.sites.rules import applies_to

from .. import eligibility
from ..eligibility import AbsenceFact, AccessFact, EngineerFacts, Verdict, WorkFacts
from ..free_time import Closure
from ..models import (
    CATEGORIES,
    Arrangement,
    CategoryField,
    CategoryPolicy,
    Override,
    Part,
    WorkOrder,
)
from .rules import (
    ArrangementFacts,
    ChangeFacts,
    InfoField,
    PartFacts,
    PeopleFacts,
    ReadinessInputs,
    RequirementFacts,
    SiteFacts,
)

CHUNK = 20_000  # work orders loaded and judged together (engineers are loaded once per chunk)
CATEGORY_LABELS = dict(CATEGORIES)
KIND_LABELS = dict(SiteRequirement.Kind.choices)
# The columns of a work order the gate reads: pass `.only(*READ_FIELDS)` querysets or WorkRows.
READ_FIELDS: tuple[str, ...] = ("id", "site_id", "category", "window_start", "window_end", "info", "change_id", "engineer_id", "estimated_minutes")
# Absences are loaded for the batch's whole span, widened by a day for whole-day checks.
_DAY = dt.timedelta(days=1)


@dataclass(slots=True)
class WorkRow:
    """The columns of a work order the gate reads (READ_FIELDS), without a model instance."""

    id: int
    site_id: int
    category: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    info: Any
    change_id: int | None
    engineer_id: int | None
    estimated_minutes: int | None

    @property
    def pk(self) -> int:
        """The work order's id, as on the model."""
        return self.id


def work_rows(queryset: QuerySet[WorkOrder], chunk: int = 5000) -> Iterator[WorkRow]:
    """The queryset's work orders as WorkRows (a model instance costs ~4x more to build), streamed."""
    for values in value_rows(queryset, *READ_FIELDS, chunk=chunk):
        yield WorkRow(*values)


# What the gate reads a work order from: a model instance or a WorkRow.
Work = WorkOrder | WorkRow


@dataclass(frozen=True)
class _Site:
    facts: SiteFacts
    region_id: int


class Batch:
    """Everything a batch of work orders needs, loaded once, then judged per work order."""

    def __init__(self, work_orders: list[Work], *, everyone: bool = True) -> None:
        """`everyone=False` loads only engineers holding something at the sites (and the assigned
        ones): enough for the gate's "anyone eligible?", not for listing every verdict."""
        self.work_orders = work_orders
        self.everyone = everyone
        ids = [wo.pk for wo in work_orders]
        site_ids = {wo.site_id for wo in work_orders}
        self.sites = {
            i: _Site(SiteFacts(i, code, tz), region)
            for i, code, tz, region in Site.objects.filter(id__in=site_ids).values_list("id", "code", "time_zone", "region_id")
        }
        self._load_rules(site_ids, {wo.category for wo in work_orders})
        self._load_work(ids, [wo.change_id for wo in work_orders if wo.change_id])
        self._load_freezes(site_ids, any(wo.window_start and wo.window_end for wo in work_orders))
        self._load_engineers(site_ids, [wo.engineer_id for wo in work_orders if wo.engineer_id])

    # -- loading ---------------------------------------------------------------------------

    def _load_rules(self, site_ids: set[int], categories: set[str]) -> None:
        self.requirements: dict[int, list[RequirementFacts]] = defaultdict(list)
        self._applicable: dict[tuple[int, str], tuple[RequirementFacts, ...]] = {}
        for r in SiteRequirement.objects.filter(site_id__in=site_ids).order_by("kind", "id").values(
            "id", "site_id", "kind", "description", "lead_time_hours", "categories", "blocking", "permitted_hours"
        ):
            self.requirements[r["site_id"]].append(RequirementFacts(
                id=r["id"], kind=r["kind"], description=r["description"], lead_time_hours=r["lead_time_hours"],
                categories=tuple(r["categories"] or ()), blocking=r["blocking"], permitted_hours=r["permitted_hours"],
                kind_label=str(KIND_LABELS.get(r["kind"], "")),
            ))
        self.fields: dict[str, list[InfoField]] = defaultdict(list)
        for category, key, label, owner in CategoryField.objects.filter(category__in=categories).order_by(
            "category", "id"
        ).values_list("category", "key", "label", "owner"):
            self.fields[category].append(InfoField(key, label, owner))
        self.requires_change = dict(
            CategoryPolicy.objects.filter(category__in=categories).values_list("category", "requires_change")
        )

    def _load_work(self, ids: list[int], change_ids: list[int]) -> None:
        self.arrangements: dict[int, dict[int, ArrangementFacts]] = defaultdict(dict)
        for wo_id, req_id, state, submitted, approved in value_rows(
            Arrangement.objects.filter(work_order_id__in=id_list(ids)),
            "work_order_id", "requirement_id", "state", "submitted_at", "approved_at",
        ):
            self.arrangements[wo_id][req_id] = ArrangementFacts(req_id, state, submitted, approved)
        self.parts: dict[int, list[PartFacts]] = defaultdict(list)
        for wo_id, part_id, number, shipment, expected, delivered in value_rows(
            Part.objects.filter(work_order_id__in=id_list(ids)).order_by("id"),
            "work_order_id", "id", "part_number", "shipment", "expected_at", "delivered_at",
        ):
            self.parts[wo_id].append(PartFacts(part_id, number, shipment, expected, delivered))
        self.overrides: dict[int, set[str]] = defaultdict(set)
        for wo_id, key in Override.objects.filter(work_order_id__in=id_list(ids)).values_list("work_order_id", "blocker"):
            self.overrides[wo_id].add(key)
        self.change_states = dict(ChangeRequest.objects.filter(id__in=id_list(change_ids)).values_list("id", "state")) if change_ids else {}
        self.skills: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for wo_id, code, name in WorkOrder.required_skills.through.objects.filter(workorder_id__in=id_list(ids)).order_by(
            "skill__name"
        ).values_list("workorder_id", "skill__code", "skill__name"):
            self.skills[wo_id].append((code, name))
        self.certifications: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for wo_id, code, name in WorkOrder.required_certifications.through.objects.filter(
            workorder_id__in=id_list(ids)
        ).order_by("certification__name").values_list("workorder_id", "certification__code", "certification__name"):
            self.certifications[wo_id].append((code, name))

    def _load_freezes(self, site_ids: set[int], any_window: bool) -> None:
        self.calendars: dict[int, window_rules.SiteCalendar] = {}
        self.freeze_rules: list[window_rules.WindowRule] = []
        self._freezes_at: dict[int, list[window_rules.WindowRule]] = {}  # site -> the freezes governing it
        if not any_window:
            return
        calendars = window_queries.site_calendars(site_ids)
        self.calendars = {c.id: c for c in calendars}
        # Only freezes concern work orders; windows (when changes may happen) do not.
        self.freeze_rules = [r for r in window_queries.rules_for(calendars) if r.kind == "freeze"]

    def _load_engineers(self, site_ids: set[int], assigned: list[int]) -> None:
        access: dict[int, list[AccessFact]] = defaultdict(list)
        self.access_at: dict[int, set[int]] = defaultdict(set)  # site -> engineers holding anything there
        for eng_id, site_id, kind, expires in SiteAccess.objects.filter(site_id__in=site_ids).values_list(
            "engineer_id", "site_id", "kind", "expires_on"
        ):
            access[eng_id].append(AccessFact(site_id, kind, expires))
            self.access_at[site_id].add(eng_id)
        regions = {s.region_id for s in self.sites.values()}
        holders = {e for engs in self.access_at.values() for e in engs}
        self.region_ids: dict[int, list[int]] = defaultdict(list)  # region -> its active engineers
        for eng_id, region_id in Engineer.objects.filter(active=True, home_region_id__in=regions).values_list(
            "id", "home_region_id"
        ):
            self.region_ids[region_id].append(eng_id)
        query = Q(active=True, id__in=holders) | Q(id__in=assigned)
        if self.everyone:
            query |= Q(active=True, home_region_id__in=regions)
        rows = list(Engineer.objects.filter(query).order_by("name", "id").values(
            "id", "name", "time_zone", "working_hours", "active", "home_region_id"
        ))
        ids = [r["id"] for r in rows]
        skill_codes = {c for codes in self.skills.values() for c, _ in codes}
        cert_codes = {c for codes in self.certifications.values() for c, _ in codes}
        skills: dict[int, dict[str, int]] = defaultdict(dict)
        if skill_codes:
            for eng_id, code, level in EngineerSkill.objects.filter(
                engineer_id__in=ids, skill__code__in=skill_codes
            ).values_list("engineer_id", "skill__code", "level"):
                skills[eng_id][code] = level
        certs: dict[int, dict[str, dt.date | None]] = defaultdict(dict)
        if cert_codes:
            for eng_id, code, expires in EngineerCertification.objects.filter(
                engineer_id__in=ids, certification__code__in=cert_codes
            ).values_list("engineer_id", "certification__code", "expires_on"):
                certs[eng_id][code] = expires
        absences: dict[int, list[AbsenceFact]] = defaultdict(list)
        spans = [(wo.window_start, wo.window_end) for wo in self.work_orders if wo.window_start and wo.window_end]
        if spans and ids:
            start, end = min(s for s, _ in spans) - _DAY, max(e for _, e in spans) + _DAY
            for eng_id, a, b, reason in Absence.objects.filter(
                engineer_id__in=ids, start_at__lt=end, end_at__gt=start
            ).values_list("engineer_id", "start_at", "end_at", "reason"):
                absences[eng_id].append(AbsenceFact(a, b, reason))
        self.engineers = {
            r["id"]: EngineerFacts(
                id=r["id"], name=r["name"], time_zone=r["time_zone"], working_hours=r["working_hours"] or {},
                skills=skills[r["id"]], certifications=certs[r["id"]], site_access=tuple(access[r["id"]]),
                absences=tuple(absences[r["id"]]), active=r["active"],
            )
            for r in rows
        }
        self._candidates: dict[int, list[EngineerFacts]] = {}
        self._split: dict[int, tuple[list[EngineerFacts], int]] = {}
        self._standing_cache: dict[Any, tuple[str, ...]] = {}

    # -- per work order --------------------------------------------------------------------

    def candidates(self, wo: Work) -> list[EngineerFacts]:
        """Active engineers holding access at the site first, then the rest of the region (by name)."""
        return self.candidates_at(wo.site_id)

    def candidates_at(self, site_id: int) -> list[EngineerFacts]:
        """`candidates` for a site (cached per batch)."""
        assert self.everyone, "a batch loaded without everyone=True has only the engineers holding access"
        cached = self._candidates.get(site_id)
        if cached is None:
            at_site = self.access_at.get(site_id, set())
            cached = [e for e in self.engineers.values() if e.id in at_site and e.active]
            others = {i for i in self.region_ids.get(self.sites[site_id].region_id, []) if i not in at_site}
            cached += [e for e in self.engineers.values() if e.id in others]
            self._candidates[site_id] = cached
        return cached

    def applicable(self, site_id: int, category: str) -> tuple[RequirementFacts, ...]:
        """The site's blocking requirements that apply to the category, by kind then id (cached per batch;
        the gate's `ReadinessInputs.applicable()` picks the same ones again)."""
        key = (site_id, category)
        found = self._applicable.get(key)
        if found is None:
            found = self._applicable[key] = tuple(sorted(
                (r for r in self.requirements.get(site_id, ()) if r.blocking and applies_to(r.categories, category)),
                key=lambda r: (r.kind, r.id),
            ))
        return found

    def work_facts(self, wo: Work) -> WorkFacts:
        """What the work asks of an engineer."""
        site = self.sites[wo.site_id].facts
        kinds = [r.kind for r in self.applicable(wo.site_id, wo.category)]
        return WorkFacts(
            site_id=site.id, site_code=site.code, time_zone=site.time_zone,
            window_start=wo.window_start, window_end=wo.window_end,
            skills=tuple(self.skills.get(wo.pk, ())), certifications=tuple(self.certifications.get(wo.pk, ())),
            access_kinds=eligibility.access_kinds_for(kinds),
            duration=dt.timedelta(minutes=wo.estimated_minutes) if wo.estimated_minutes else None,
        )

    def verdicts(self, wo: Work) -> list[Verdict]:
        """Every candidate's verdict, and the assigned engineer's, eligible first then by name."""
        work = self.work_facts(wo)
        found = {e.id: eligibility.judge(e, work) for e in self.candidates(wo)}
        if wo.engineer_id and wo.engineer_id not in found and wo.engineer_id in self.engineers:
            found[wo.engineer_id] = eligibility.judge(self.engineers[wo.engineer_id], work)
        return sorted(found.values(), key=lambda v: (not v.eligible, v.engineer_name, v.engineer_id))

    def split(self, site_id: int) -> tuple[list[EngineerFacts], int]:
        """A site's candidates: the active engineers holding something there, and how many others
        of the region there are (they hold no access at the site, so none of them is eligible)."""
        cached = self._split.get(site_id)
        if cached is None:
            at_site = self.access_at.get(site_id, set())
            holders = [e for e in self.engineers.values() if e.id in at_site and e.active]
            others = sum(1 for i in self.region_ids.get(self.sites[site_id].region_id, []) if i not in at_site)
            cached = holders, others
            self._split[site_id] = cached
        return cached

    def _standing(self, engineer: EngineerFacts, work: WorkFacts) -> tuple[str, ...]:
        """`eligibility.standing_reasons`, once per engineer and what the work asks on its last day."""
        key = (engineer.id, work.site_id, work.days(), work.skills, work.certifications, work.access_kinds)
        found = self._standing_cache.get(key)
        if found is None:
            found = self._standing_cache[key] = eligibility.standing_reasons(engineer, work)
        return found

    def people(self, wo: Work, work: WorkFacts, *, exhaustive: bool) -> PeopleFacts:
        """Eligibility as readiness needs it; without `exhaustive`, stop at the first eligible engineer.

        Every visit needs site access, so only engineers holding something at the site can be
        eligible. Without `exhaustive` only they are judged; the rest of the region is counted
        with the reasons their missing grants give (see `eligibility.missing_access`).
        """
        assigned = None
        if wo.engineer_id and wo.engineer_id in self.engineers:
            assigned = eligibility.judge(self.engineers[wo.engineer_id], work)
        if not work.has_window:
            return PeopleFacts(checked=False, assigned=assigned)
        eligible, considered = 0, 0
        reasons: Counter[str] = Counter()
        if exhaustive:
            candidates, others = self.candidates(wo), 0
        else:
            candidates, others = self.split(wo.site_id)
        for index, engineer in enumerate(candidates):
            considered += 1
            if assigned and assigned.engineer_id == engineer.id:
                found = assigned.reasons
            else:
                found = self._standing(engineer, work) + eligibility.timed_reasons(engineer, work)
            if not found:
                eligible += 1
                if not exhaustive:
                    if index:
                        # Move to front: whoever was eligible for the last work here is the
                        # likeliest for the next (same verdicts; fewer engineers judged).
                        candidates.insert(0, candidates.pop(index))
                    break
            else:
                for reason in found:
                    reasons[reason] += 1
        if not eligible and others:
            considered += others
            for reason in eligibility.missing_access(work):
                reasons[reason] += others
        common = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))[:5]
        return PeopleFacts(True, eligible, considered, common if not eligible else (), assigned)

    def freezes_at(self, site_id: int) -> list[window_rules.WindowRule]:
        """The freeze rules governing a site (cached per batch; none without a calendar)."""
        calendar = self.calendars.get(site_id)
        if calendar is None or not self.freeze_rules:
            return []
        governing = self._freezes_at.get(site_id)
        if governing is None:
            governing = self._freezes_at[site_id] = window_rules.applicable(calendar, self.freeze_rules)
        return governing

    def closures(self, wo: Work) -> tuple[Closure, ...]:
        """The freeze occurrences overlapping the work's window, expanded in the site's zone, in time order."""
        if not (wo.window_start and wo.window_end):
            return ()
        tz = self.sites[wo.site_id].facts.time_zone
        found = [
            Closure(a, b, rule.id, rule.name)
            for rule in self.freezes_at(wo.site_id)
            for a, b in window_rules.overlapping(rule, tz, wo.window_start, wo.window_end)
        ]
        return tuple(sorted(found, key=lambda c: (c.start, c.end, c.rule_id or 0)))

    def inputs(self, wo: Work, *, exhaustive: bool = True) -> ReadinessInputs:
        """The gate's inputs for one work order of the batch."""
        site = self.sites[wo.site_id]
        work = self.work_facts(wo)
        freezes: tuple[window_rules.WindowViolation, ...] = ()
        governing = self.freezes_at(wo.site_id) if wo.window_start and wo.window_end else []
        if governing:
            assert wo.window_start is not None and wo.window_end is not None
            freezes = tuple(window_rules.check(wo.window_start, wo.window_end, [self.calendars[wo.site_id]], governing))
        return ReadinessInputs(
            category=wo.category, category_label=str(CATEGORY_LABELS.get(wo.category, "")), site=site.facts,
            window_start=wo.window_start, window_end=wo.window_end,
            requirements=self.applicable(wo.site_id, wo.category),
            arrangements=self.arrangements.get(wo.pk, {}),
            info=wo.info if isinstance(wo.info, dict) else {},
            fields=tuple(self.fields.get(wo.category, ())),
            parts=tuple(self.parts.get(wo.pk, ())),
            freezes=freezes,
            freeze_spans=self.closures(wo) if freezes else (),
            duration=work.duration,
            change=ChangeFacts(
                required=bool(self.requires_change.get(wo.category)), change_id=wo.change_id,
                state=self.change_states.get(wo.change_id) if wo.change_id else None,
            ),
            people=self.people(wo, work, exhaustive=exhaustive),
            overrides=frozenset(self.overrides.get(wo.pk, ())),
        )
