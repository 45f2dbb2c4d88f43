"""Pure readiness gate: what is missing, who must act, by when, and which rule says so.

INTERFACE shared by the services (gate, at-risk maintenance), the API and the pages; the
inputs are plain data gathered by readiness.batch (readiness.queries), so this module never touches
the database.

Decisions (owners and "needed by"):

| blocker (key)                       | kind             | owner        | needed by                                   |
|-------------------------------------|------------------|--------------|---------------------------------------------|
| no window ("window")                | window           | service_desk | -                                           |
| missing info field ("info:<key>")   | information      | field owner  | window start - 24 h (`PLANNING_LEAD`)       |
| site requirement ("requirement:<id>") | site_requirement | per kind (`OWNERS`) | window start - the requirement's lead time |
| permitted hours ("requirement:<id>") | permitted_hours | dispatch     | window start - max(lead time, 24 h)         |
| freeze ("freeze:<rule id>")         | freeze           | dispatch     | window start - 24 h                         |
  (only when the work does not fit in the window's free time; see below)
| nobody eligible ("people")          | people           | dispatch     | window start - max(24 h, induction/clearance lead times) |
| assigned engineer not eligible ("engineer") | engineer | dispatch     | window start - 24 h                         |
| part not delivered ("part:<id>")    | parts            | service_desk | window start                                |
| change not approved ("change")      | change           | service_desk | window start - 24 h                         |

Site requirement kinds: access_request (owner client: the client authorises visits to its
equipment), escort (site), ppe and local_standard (engineer), method_statement and compliance
(service_desk) are satisfied by an arrangement that is approved no later than window start minus
the lead time (approved_at, else submitted_at; an approval with neither time is taken as in time).
Induction and security clearance are credentials of the engineer: they are checked through
eligibility (SiteAccess kinds induction/clearance) and show up in the people and engineer
blockers, not as separate ones. Non-blocking requirements never block. Permitted hours are
compared in the site's local time (holidays are not special). Without a window only what needs
no date is checked: information, arrangements, parts, the change and an assigned engineer's
credentials; a "window" blocker says the rest cannot be checked yet. A change counts as approved
in `APPROVED_CHANGE_STATES`; it is only demanded when the category policy requires one.

A freeze overlapping part of the window blocks only when the work does not fit in what is left:
the free intervals are the window inside every permitted-hours rule and outside every freeze
occurrence (free_time.py, instants expanded in the site's zone). When one free interval holds
the work's duration, no freeze blocker is raised and a note says where it fits ("Fits 19:00–21:00
after the freeze ... — plan it there"); dispatch plans the visit there. Otherwise each freeze is
a blocker whose detail says why the free part is not enough. Without the duration or the freeze
occurrences (`freeze_spans`) any overlap blocks, as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from opsdesk.changes.windows.rules import WindowViolation, describe_interval
from opsdesk.sites.rules import WEEKDAYS, applies_to

from ..eligibility import ACCESS_KIND_FOR, Verdict, coverage, describe_window, stretches, zone
from ..free_time import Closure, Span, clock_words, fitting, free_intervals, minutes_words

PLANNING_LEAD = dt.timedelta(hours=24)
APPROVED_CHANGE_STATES = frozenset({"approved", "scheduled", "implementing", "completed", "reviewed", "closed"})
OWNERS = {
    "access_request": "client",
    "escort": "site",
    "ppe": "engineer",
    "local_standard": "engineer",
    "method_statement": "service_desk",
    "compliance": "service_desk",
}
# Requirements checked through the engineer's credentials rather than an arrangement.
CREDENTIAL_KINDS = frozenset(ACCESS_KIND_FOR)
KIND_ORDER = ("window", "information", "site_requirement", "permitted_hours", "freeze", "people", "engineer", "parts", "change")


@dataclass(frozen=True)
class Blocker:
    """One thing that stops the work being ready."""

    key: str  # stable: "info:<field>", "requirement:<id>", "people", "engineer", "part:<id>", "change", "freeze:<rule>"
    kind: str  # information | site_requirement | permitted_hours | freeze | people | engineer | parts | change | window
    detail: str  # plain words, naming the rule and local times
    owner: str  # service_desk | client | dispatch | site | engineer
    needed_by: dt.datetime | None
    rule: str  # the site requirement or completeness rule behind it
    overridden: bool = False
    what: str = ""  # the thing missing in a few words ('Access request', 'Rack location'), for waiting_for


@dataclass(frozen=True)
class Readiness:
    """The gate's answer."""

    ready: bool
    blockers: tuple[Blocker, ...] = field(default_factory=tuple)
    at_risk: bool = False
    next_needed_by: dt.datetime | None = None
    notes: tuple[str, ...] = ()  # what the gate decided without blocking (where work fits around a freeze)


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFacts:
    """The site the work is at."""

    id: int
    code: str
    time_zone: str


@dataclass(frozen=True)
class RequirementFacts:
    """One site requirement, as data."""

    id: int
    kind: str
    description: str
    lead_time_hours: int = 0
    categories: tuple[str, ...] = ()
    blocking: bool = True
    permitted_hours: Mapping[str, list[list[str]]] | None = None
    kind_label: str = ""

    @property
    def label(self) -> str:
        """The kind in words ('Access request')."""
        return self.kind_label or self.kind.replace("_", " ").capitalize()

    @property
    def lead(self) -> dt.timedelta:
        """The lead time as a duration."""
        return dt.timedelta(hours=self.lead_time_hours)


@dataclass(frozen=True)
class ArrangementFacts:
    """What has been done about one requirement for this work order."""

    requirement_id: int
    state: str  # requested | submitted | approved | rejected
    submitted_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None


@dataclass(frozen=True)
class InfoField:
    """A piece of information the category needs, and who provides it."""

    key: str
    label: str
    owner: str = "client"


@dataclass(frozen=True)
class PartFacts:
    """A part the work needs and where its shipment is."""

    id: int
    part_number: str
    shipment: str = "needed"
    expected_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True)
class ChangeFacts:
    """Whether an approved change is needed, and the linked change if any."""

    required: bool = False
    change_id: int | None = None
    state: str | None = None


@dataclass(frozen=True)
class PeopleFacts:
    """Eligibility as readiness needs it. `checked` is False when it could not be judged (no window)."""

    checked: bool = True
    eligible: int = 0  # engineers found eligible (bulk evaluation may stop at the first)
    considered: int = 0
    common_reasons: tuple[tuple[str, int], ...] = ()  # why the others are not, most frequent first
    assigned: Verdict | None = None


@dataclass(frozen=True)
class ReadinessInputs:
    """Everything the gate looks at, gathered by readiness.batch."""

    category: str
    site: SiteFacts
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    category_label: str = ""
    requirements: tuple[RequirementFacts, ...] = ()
    arrangements: Mapping[int, ArrangementFacts] = field(default_factory=dict)
    info: Mapping[str, object] = field(default_factory=dict)
    fields: tuple[InfoField, ...] = ()
    parts: tuple[PartFacts, ...] = ()
    freezes: tuple[WindowViolation, ...] = ()
    freeze_spans: tuple[Closure, ...] = ()  # the freeze occurrences overlapping the window (aware instants)
    duration: dt.timedelta | None = None  # how long the work takes (its estimate)
    change: ChangeFacts = field(default_factory=ChangeFacts)
    people: PeopleFacts = field(default_factory=PeopleFacts)
    overrides: frozenset[str] = frozenset()

    @property
    def has_window(self) -> bool:
        """Whether both ends of the window are known."""
        return self.window_start is not None and self.window_end is not None

    def applicable(self) -> list[RequirementFacts]:
        """Blocking requirements of the site that apply to this category, by kind then id (worked out once)."""
        found: list[RequirementFacts] | None = self.__dict__.get("_applicable")
        if found is None:
            found = sorted(
                (r for r in self.requirements if r.blocking and applies_to(r.categories, self.category)),
                key=lambda r: (r.kind, r.id),
            )
            object.__setattr__(self, "_applicable", found)  # frozen: a cache, not a field
        return found


# --- evaluation --------------------------------------------------------------------------------


def evaluate(inputs: ReadinessInputs, now: dt.datetime) -> Readiness:
    """The blockers of one work order at `now`, with overrides marked, and whether it is at risk."""
    found: list[Blocker] = []
    if not inputs.has_window:
        found.append(Blocker(
            "window", "window", "No requested window yet: agree a start and end with the client; "
            "site hours, freezes and engineers cannot be checked until then.",
            "service_desk", None, "a work order needs a requested window",
        ))
    found += _information(inputs)
    found += _requirements(inputs)
    frozen, notes = _freezes(inputs)
    found += frozen
    found += _people(inputs)
    found += _parts(inputs)
    found += _change(inputs)
    marked = tuple(replace(b, overridden=b.key in inputs.overrides) for b in found)
    open_ = [b for b in marked if not b.overridden]
    times = [b.needed_by for b in open_ if b.needed_by is not None]
    return Readiness(
        ready=not open_,
        blockers=marked,
        at_risk=any(t < now for t in times),
        next_needed_by=min(times) if times else None,
        notes=tuple(notes),
    )


def _before(inputs: ReadinessInputs, lead: dt.timedelta) -> dt.datetime | None:
    return inputs.window_start - lead if inputs.window_start is not None else None


@lru_cache(maxsize=8192)
def _local(at: dt.datetime, time_zone: str) -> str:
    local = at.astimezone(zone(time_zone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {time_zone}"


def _category(inputs: ReadinessInputs) -> str:
    return inputs.category_label or inputs.category.replace("_", " ").capitalize()


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple | set):
        return not value
    return False


def _information(inputs: ReadinessInputs) -> list[Blocker]:
    needed_by = _before(inputs, PLANNING_LEAD)
    out = []
    for f in inputs.fields:
        if _missing(inputs.info.get(f.key)):
            label = f.label[:1].lower() + f.label[1:]
            out.append(Blocker(
                f"info:{f.key}", "information", f"Missing: {f.label}.", f.owner, needed_by,
                f"{_category(inputs)} needs {label}", what=f.label,
            ))
    return out


def _rule(inputs: ReadinessInputs, req: RequirementFacts) -> str:
    return f"{inputs.site.code} · {req.label}: {req.description}"


def _requirements(inputs: ReadinessInputs) -> list[Blocker]:
    out = []
    for req in inputs.applicable():
        if req.kind in CREDENTIAL_KINDS:
            continue  # checked through eligibility (people / engineer blockers)
        if req.kind == "permitted_hours":
            blocker = _permitted_hours(inputs, req)
        else:
            blocker = _arrangement(inputs, req)
        if blocker is not None:
            out.append(blocker)
    return out


def _arrangement(inputs: ReadinessInputs, req: RequirementFacts) -> Blocker | None:
    needed_by = _before(inputs, req.lead)
    arrangement = inputs.arrangements.get(req.id)
    lead = f" ({req.lead_time_hours} h before the work)" if req.lead_time_hours else ""
    by = f" by {_local(needed_by, inputs.site.time_zone)}{lead}" if needed_by is not None else ""
    what = f"{inputs.site.code} needs: {req.description.rstrip('.')}"
    if arrangement is None or arrangement.state == "requested":
        detail = f"{what}; approval needed{by}, nothing submitted yet."
    elif arrangement.state == "submitted":
        detail = f"{what}; submitted, approval needed{by}."
    elif arrangement.state == "rejected":
        detail = f"{what}; the request was rejected, a new one must be approved{by}."
    else:
        at = arrangement.approved_at or arrangement.submitted_at
        if needed_by is None or at is None or at <= needed_by:
            return None
        detail = (
            f"{what}; approved {_local(at, inputs.site.time_zone)}, too late for the site's "
            f"{req.lead_time_hours} h lead time (needed{by})."
        )
    return Blocker(f"requirement:{req.id}", "site_requirement", detail, OWNERS.get(req.kind, "service_desk"),
                   needed_by, _rule(inputs, req), what=req.label)


def _day_hours(hours: Mapping[str, list[list[str]]], weekday: int) -> str:
    """A weekday's intervals in words, a night joined across midnight: '22:00–06:00'."""
    today = hours.get(WEEKDAYS[weekday], [])
    tomorrow = hours.get(WEEKDAYS[(weekday + 1) % 7], [])
    yesterday = hours.get(WEEKDAYS[(weekday - 1) % 7], [])
    parts = []
    for a, b in today:
        if a == "00:00" and yesterday and yesterday[-1][1] == "24:00" and len(today) > 1:
            continue  # the end of last night, shown with it
        if b == "24:00" and tomorrow and tomorrow[0][0] == "00:00":
            b = tomorrow[0][1]
        parts.append(f"{a}–{b}")
    return ", ".join(parts)


def _permitted_hours(inputs: ReadinessInputs, req: RequirementFacts) -> Blocker | None:
    start, end = inputs.window_start, inputs.window_end
    if start is None or end is None or not req.permitted_hours:
        return None
    tz = inputs.site.time_zone
    state, _ = coverage(req.permitted_hours, tz, start, end)
    if state == "covered":
        return None
    local = start.astimezone(zone(tz))
    allowed = _day_hours(req.permitted_hours, local.weekday())
    allows = f"allows work {allowed} only" if allowed else f"allows no work on {local:%a}"
    detail = f"{inputs.site.code} {allows}; the window is {describe_window(start, end, tz)}."
    return Blocker(f"requirement:{req.id}", "permitted_hours", detail, "dispatch",
                   _before(inputs, max(req.lead, PLANNING_LEAD)), _rule(inputs, req))


def _freezes(inputs: ReadinessInputs) -> tuple[list[Blocker], list[str]]:
    """Freeze blockers, or none and a note when the work fits in the window's free time."""
    if not inputs.has_window:
        return [], []
    needed_by = _before(inputs, PLANNING_LEAD)
    out: dict[str, Blocker] = {}
    fit = _freeze_fit(inputs)
    if fit is not None and fit[0]:
        return [], [fit[0]]
    for v in inputs.freezes:
        if v.kind != "freeze" or v.site_id != inputs.site.id:
            continue  # outside-window violations concern changes, not work orders
        key = f"freeze:{v.rule_id}"
        detail = v.detail.replace("the change (", "the work (", 1)
        if fit is not None:
            detail = f"{detail.rstrip('.')}; {fit[1]}."
        out.setdefault(key, Blocker(key, "freeze", detail, "dispatch", needed_by,
                                    f"{inputs.site.code} · change freeze '{v.rule_name}'"))
    return [out[k] for k in sorted(out, key=lambda k: (len(k), k))], []


def _freeze_fit(inputs: ReadinessInputs) -> tuple[str, str] | None:
    """(where the work fits, "") or ("", why it does not) around the freezes; None when it cannot be judged."""
    start, end, duration = inputs.window_start, inputs.window_end, inputs.duration
    if start is None or end is None or duration is None:
        return None
    spans = sorted((c for c in inputs.freeze_spans if c.start < end and c.end > start), key=lambda c: (c.start, c.end))
    if not spans:
        return None
    tz = inputs.site.time_zone
    permitted = [
        stretches(r.permitted_hours, tz, start, end)
        for r in inputs.applicable() if r.kind == "permitted_hours" and r.permitted_hours
    ]
    closed = [(c.start, c.end) for c in spans]
    free = free_intervals(start, end, permitted=permitted, closed=closed)
    names = " and ".join(f"the freeze '{c.name}' ({describe_interval(c.start, c.end, tz, long=True)})" for c in spans)
    fits = fitting(free, duration)
    if fits:
        where = " or ".join(clock_words(s, tz, start) for s in fits)
        hours = " and inside the site's permitted hours" if permitted else ""
        return f"Fits {where} {_relation(fits[0], spans)} {names}{hours} — plan it there.", ""
    if free:
        parts = " and ".join(clock_words(s, tz, start) for s in free)
        one = len(free) == 1
        return "", (f"the free part{'' if one else 's'} {parts} {'is' if one else 'are'} shorter than the "
                    f"{minutes_words(duration)} the work needs")
    if free_intervals(start, end, closed=closed):
        return "", "the time outside the freeze is outside the site's permitted hours"
    return "", "no part of the window is outside the freeze"


def _relation(fit: Span, spans: list[Closure]) -> str:
    if all(fit[0] >= c.end for c in spans):
        return "after"
    if all(fit[1] <= c.start for c in spans):
        return "before"
    return "outside"


def _people(inputs: ReadinessInputs) -> list[Blocker]:
    people = inputs.people
    out = []
    credentials = [r for r in inputs.applicable() if r.kind in CREDENTIAL_KINDS]
    if inputs.has_window and people.checked and people.eligible == 0:
        lead = max([PLANNING_LEAD, *(r.lead for r in credentials)])
        assert inputs.window_start is not None and inputs.window_end is not None
        when = describe_window(inputs.window_start, inputs.window_end, inputs.site.time_zone)
        why = "; ".join(f"{reason} ({n})" for reason, n in people.common_reasons[:3])
        detail = f"No engineer is eligible for {when} (of {people.considered} considered)" + (f": {why}." if why else ".")
        needs = ", ".join(["skills", "certifications", "site access", *(r.label.lower() for r in credentials), "shift"])
        out.append(Blocker("people", "people", detail, "dispatch", _before(inputs, lead),
                           f"{inputs.site.code}: at least one engineer eligible ({needs})"))
    verdict = people.assigned
    if verdict is not None and not verdict.eligible:
        detail = f"{verdict.engineer_name} is not eligible: {'; '.join(verdict.reasons)}."
        out.append(Blocker("engineer", "engineer", detail, "dispatch", _before(inputs, PLANNING_LEAD),
                           "the assigned engineer must be eligible"))
    return out


def _parts(inputs: ReadinessInputs) -> list[Blocker]:
    start = inputs.window_start
    out = []
    for part in sorted(inputs.parts, key=lambda p: p.id):
        delivered = part.shipment == "delivered" and (
            start is None or part.delivered_at is None or part.delivered_at <= start
        )
        if delivered:
            continue
        if part.shipment == "delivered":
            state = f"delivered {_local(part.delivered_at, inputs.site.time_zone)}, after the window starts" if part.delivered_at else "delivered late"
        elif part.expected_at is not None:
            late = start is not None and part.expected_at > start
            state = f"{part.shipment}, expected {_local(part.expected_at, inputs.site.time_zone)}" + (
                " — after the window starts" if late else "")
        else:
            state = part.shipment
        detail = f"Part {part.part_number} is not at {inputs.site.code} yet ({state})."
        out.append(Blocker(f"part:{part.id}", "parts", detail, "service_desk", start,
                           "parts delivered to site before the window"))
    return out


def _change(inputs: ReadinessInputs) -> list[Blocker]:
    change = inputs.change
    if not change.required or change.state in APPROVED_CHANGE_STATES:
        return []
    if change.change_id is None:
        detail = f"{_category(inputs)} work needs an approved change; none is linked."
    else:
        detail = f"The linked change CHG-{change.change_id} is {(change.state or 'unknown').replace('_', ' ')}, not approved."
    return [Blocker("change", "change", detail, "service_desk", _before(inputs, PLANNING_LEAD),
                    f"{_category(inputs)} needs an approved change")]


# What the client reads while its SLA clock waits on someone (slas shows "paused 2d 4h: waiting for ...").
WAITING_WORDS = {"access request": "your site access approval", "escort": "the site to provide an escort"}
PARTY_WORDS = {"client": "you", "site": "the site", "service_desk": "the service desk", "dispatch": "dispatch",
               "engineer": "the engineer"}


def waiting_for(blocker: Blocker) -> str:
    """Who the work waits for, and for what, in plain words: 'your site access approval'."""
    what = (blocker.what or blocker.kind.replace("_", " ")).lower()
    if blocker.kind == "site_requirement" and what in WAITING_WORDS:
        return WAITING_WORDS[what]
    who = PARTY_WORDS.get(blocker.owner, blocker.owner.replace("_", " "))
    if blocker.kind == "information":
        return f"{who} to provide the {what}"
    if blocker.owner == "client":
        return f"your {what}"
    return f"{who} to arrange the {what}"
