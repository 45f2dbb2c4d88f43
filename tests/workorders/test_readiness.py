"""Pure readiness gate: each blocker kind with its owner, needed-by and rule; overrides; at risk; DST."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import assume, given
from hypothesis import strategies as st

from opsdesk.changes.windows.rules import WindowViolation
from opsdesk.workorders.eligibility import Verdict
from opsdesk.workorders.readiness.rules import (
    ArrangementFacts,
    ChangeFacts,
    InfoField,
    PartFacts,
    PeopleFacts,
    ReadinessInputs,
    RequirementFacts,
    SiteFacts,
    evaluate,
)

UTC = dt.UTC
H = dt.timedelta(hours=1)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


START, END = utc(2026, 3, 10, 14), utc(2026, 3, 10, 16)  # Tue 14:00-16:00 London (GMT)
NOW = utc(2026, 3, 1, 9)
LON = SiteFacts(1, "lon-dc1", "Europe/London")
ACCESS = RequirementFacts(11, "access_request", "72 h access request", 72, kind_label="Access request")
ESCORT = RequirementFacts(12, "escort", "Escort by site security", 48, kind_label="Escort")
INDUCTION = RequirementFacts(21, "induction", "Site induction", 168, kind_label="Induction")
NIGHTS = {d: [["00:00", "06:00"], ["22:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NIGHT_ONLY = RequirementFacts(22, "permitted_hours", "Work 22:00-06:00 only", 0, permitted_hours=NIGHTS,
                              kind_label="Permitted working hours")
INFECTION = RequirementFacts(31, "compliance", "Infection-control sign-off with the ward", 24,
                             categories=("install", "break_fix"), kind_label="Compliance rule")
ADVISORY = RequirementFacts(41, "local_standard", "Label cables to the site standard", 0, blocking=False)
PEOPLE_OK = PeopleFacts(checked=True, eligible=2, considered=3)
BASE = ReadinessInputs(category="install", category_label="Install", site=LON, window_start=START, window_end=END,
                       people=PEOPLE_OK)


def approved(req: RequirementFacts, at: dt.datetime = NOW) -> ArrangementFacts:
    return ArrangementFacts(req.id, "approved", at - H, at)


def by_key(inputs: ReadinessInputs, now: dt.datetime = NOW) -> dict[str, object]:
    return {b.key: b for b in evaluate(inputs, now).blockers}


def test_nothing_required_is_ready():
    result = evaluate(BASE, NOW)
    assert result.ready and result.blockers == () and not result.at_risk and result.next_needed_by is None


def test_access_request_and_escort_site():
    inputs = replace(BASE, requirements=(ACCESS, ESCORT, ADVISORY))
    result = evaluate(inputs, NOW)
    assert not result.ready
    access, escort = result.blockers
    assert (access.key, access.kind, access.owner) == ("requirement:11", "site_requirement", "client")
    assert access.needed_by == START - 72 * H
    assert access.rule == "lon-dc1 · Access request: 72 h access request"
    assert "Sat 7 Mar 14:00 Europe/London" in access.detail and "nothing submitted" in access.detail
    assert (escort.key, escort.owner, escort.needed_by) == ("requirement:12", "site", START - 48 * H)
    assert result.next_needed_by == START - 72 * H
    done = replace(inputs, arrangements={11: approved(ACCESS), 12: approved(ESCORT)})
    assert evaluate(done, NOW).ready  # the non-blocking local standard never blocks


def test_arrangement_states_in_words():
    for state, words in [("requested", "nothing submitted"), ("submitted", "submitted, approval needed"),
                         ("rejected", "rejected")]:
        inputs = replace(BASE, requirements=(ACCESS,), arrangements={11: ArrangementFacts(11, state, NOW)})
        (blocker,) = evaluate(inputs, NOW).blockers
        assert words in blocker.detail


def test_approval_after_the_lead_time_still_blocks():
    late = START - 24 * H
    inputs = replace(BASE, requirements=(ACCESS,), arrangements={11: approved(ACCESS, late)})
    (blocker,) = evaluate(inputs, NOW).blockers
    assert "too late for the site's 72 h lead time" in blocker.detail
    in_time = replace(inputs, arrangements={11: approved(ACCESS, START - 72 * H)})
    assert evaluate(in_time, NOW).ready


def test_induction_is_an_engineer_credential_and_night_only_hours():
    inputs = replace(BASE, requirements=(INDUCTION, NIGHT_ONLY))
    (hours,) = evaluate(inputs, NOW).blockers  # the induction is judged through eligibility
    assert (hours.key, hours.kind, hours.owner) == ("requirement:22", "permitted_hours", "dispatch")
    assert hours.detail == "lon-dc1 allows work 22:00–06:00 only; the window is Tue 14:00–16:00 Europe/London."
    assert hours.needed_by == START - 24 * H
    assert hours.rule == "lon-dc1 · Permitted working hours: Work 22:00-06:00 only"
    night = replace(inputs, window_start=utc(2026, 3, 10, 23), window_end=utc(2026, 3, 11, 3))
    assert evaluate(night, NOW).ready
    nobody = replace(night, people=PeopleFacts(True, 0, 4, (("no induction at lon-dc1", 4),)))
    (people,) = evaluate(nobody, NOW).blockers
    assert (people.kind, people.owner) == ("people", "dispatch")
    assert people.needed_by == night.window_start - 168 * H  # the induction's lead time
    assert "no induction at lon-dc1 (4)" in people.detail and "induction" in people.rule


def test_permitted_hours_in_site_local_time_across_dst():
    # Sun 29 Mar 2026: clocks go forward at 01:00 UTC in London.
    inputs = replace(BASE, requirements=(NIGHT_ONLY,))
    # 05:00-05:45 UTC is 06:00-06:45 BST: outside 22:00-06:00 (it would be inside in GMT).
    outside = replace(inputs, window_start=utc(2026, 3, 29, 5), window_end=utc(2026, 3, 29, 5, 45))
    (blocker,) = evaluate(outside, NOW).blockers
    assert "the window is Sun 06:00–06:45 Europe/London" in blocker.detail
    # 21:30-22:30 UTC is 22:30-23:30 BST: inside (it would start too early in GMT).
    inside = replace(inputs, window_start=utc(2026, 3, 29, 21, 30), window_end=utc(2026, 3, 29, 22, 30))
    assert evaluate(inside, NOW).ready
    # The whole short night Sat 22:00 GMT -> Sun 06:00 BST, 7 real hours.
    night = replace(inputs, window_start=utc(2026, 3, 28, 22), window_end=utc(2026, 3, 29, 5))
    assert evaluate(night, NOW).ready


def test_hospital_compliance_applies_to_its_categories_only():
    hospital = SiteFacts(3, "man-hosp", "Europe/London")
    inputs = replace(BASE, site=hospital, requirements=(INFECTION,))
    (blocker,) = evaluate(inputs, NOW).blockers
    assert (blocker.owner, blocker.needed_by) == ("service_desk", START - 24 * H)
    assert blocker.rule == "man-hosp · Compliance rule: Infection-control sign-off with the ward"
    assert evaluate(replace(inputs, category="audit"), NOW).ready


def test_information_blockers_name_field_owner_and_rule():
    fields = (InfoField("rack_location", "Rack location", "client"), InfoField("fault", "Fault symptoms", "service_desk"))
    inputs = replace(BASE, fields=fields, info={"rack_location": "  ", "other": "x"})
    rack, fault = evaluate(inputs, NOW).blockers
    assert (rack.key, rack.kind, rack.owner, rack.needed_by) == ("info:rack_location", "information", "client", START - 24 * H)
    assert rack.rule == "Install needs rack location"
    assert (fault.owner, fault.rule) == ("service_desk", "Install needs fault symptoms")
    assert evaluate(replace(inputs, info={"rack_location": "H1 R4 U20", "fault": "PSU"}), NOW).ready


def test_freeze_blocks_but_outside_window_does_not():
    freeze = WindowViolation(1, "lon-dc1", 7, "Year-end freeze", "freeze",
                             "lon-dc1: the change (Tue 10 Mar 14:00–16:00 Europe/London) falls in the freeze 'Year-end freeze' (...)")
    outside = WindowViolation(1, "lon-dc1", 8, "Sunday window", "outside_window", "outside")
    (blocker,) = evaluate(replace(BASE, freezes=(freeze, outside)), NOW).blockers
    assert (blocker.key, blocker.kind, blocker.owner) == ("freeze:7", "freeze", "dispatch")
    assert blocker.detail.startswith("lon-dc1: the work (Tue 10 Mar")
    assert blocker.rule == "lon-dc1 · change freeze 'Year-end freeze'"
    assert evaluate(replace(BASE, freezes=(outside,)), NOW).ready


def test_people_and_assigned_engineer():
    nobody = replace(BASE, people=PeopleFacts(True, 0, 3, (("missing skill Fibre splicing", 3),)))
    (people,) = evaluate(nobody, NOW).blockers
    assert people.key == "people" and people.needed_by == START - 24 * H
    assert "No engineer is eligible for Tue 14:00–16:00 Europe/London (of 3 considered)" in people.detail
    verdict = Verdict(5, "Bob", False, ("no security clearance at lon-dc1", "inactive"))
    assigned = replace(BASE, people=replace(PEOPLE_OK, assigned=verdict))
    (engineer,) = evaluate(assigned, NOW).blockers
    assert (engineer.kind, engineer.owner) == ("engineer", "dispatch")
    assert engineer.detail == "Bob is not eligible: no security clearance at lon-dc1; inactive."
    ok = replace(BASE, people=replace(PEOPLE_OK, assigned=Verdict(5, "Bob", True, ())))
    assert evaluate(ok, NOW).ready


def test_parts_must_be_delivered_before_the_window():
    parts = (
        PartFacts(1, "SFP-10G", "delivered", None, START - H),
        PartFacts(2, "PSU-750", "shipped", START + H, None),
        PartFacts(3, "RAIL-KIT", "delivered", None, START + H),
        PartFacts(4, "CABLE", "needed"),
    )
    blockers = evaluate(replace(BASE, parts=parts), NOW).blockers
    assert [b.key for b in blockers] == ["part:2", "part:3", "part:4"]
    assert all(b.owner == "service_desk" and b.needed_by == START and b.kind == "parts" for b in blockers)
    assert "after the window starts" in blockers[0].detail


def test_change_required_and_not_approved():
    missing = replace(BASE, change=ChangeFacts(required=True))
    (blocker,) = evaluate(missing, NOW).blockers
    assert (blocker.key, blocker.owner, blocker.rule) == ("change", "service_desk", "Install needs an approved change")
    assert "none is linked" in blocker.detail
    draft = replace(BASE, change=ChangeFacts(True, 9, "assessing"))
    assert "CHG-9 is assessing" in evaluate(draft, NOW).blockers[0].detail
    assert evaluate(replace(BASE, change=ChangeFacts(True, 9, "scheduled")), NOW).ready
    assert evaluate(replace(BASE, change=ChangeFacts(False, 9, "draft")), NOW).ready


def test_no_window_checks_what_it_can():
    inputs = replace(BASE, window_start=None, window_end=None, requirements=(ACCESS, NIGHT_ONLY),
                     people=PeopleFacts(checked=False))
    blockers = evaluate(inputs, NOW).blockers
    assert [(b.key, b.owner, b.needed_by) for b in blockers] == [
        ("window", "service_desk", None), ("requirement:11", "client", None),
    ]


def test_overrides_do_not_count_and_at_risk():
    inputs = replace(BASE, requirements=(ACCESS, ESCORT))
    late = START - 60 * H  # after the access request's needed-by, before the escort's
    result = evaluate(inputs, late)
    assert result.at_risk and result.next_needed_by == START - 72 * H
    overridden = evaluate(replace(inputs, overrides=frozenset({"requirement:11"})), late)
    assert [b.overridden for b in overridden.blockers] == [True, False]
    assert not overridden.ready and not overridden.at_risk and overridden.next_needed_by == START - 48 * H
    both = evaluate(replace(inputs, overrides=frozenset({"requirement:11", "requirement:12"})), late)
    assert both.ready and not both.at_risk and both.next_needed_by is None


def test_blockers_come_in_a_fixed_order():
    inputs = replace(
        BASE, requirements=(NIGHT_ONLY, ESCORT, ACCESS), fields=(InfoField("rack", "Rack"),),
        parts=(PartFacts(2, "X"),), change=ChangeFacts(required=True),
        people=PeopleFacts(True, 0, 0, (), Verdict(1, "A", False, ("inactive",))),
        freezes=(WindowViolation(1, "lon-dc1", 3, "F", "freeze", "x"),),
    )
    keys = [b.key for b in evaluate(inputs, NOW).blockers]
    assert keys == ["info:rack", "requirement:11", "requirement:12", "requirement:22", "freeze:3", "people",
                    "engineer", "part:2", "change"]
    assert keys == [b.key for b in evaluate(inputs, NOW).blockers]


REQS = (ACCESS, ESCORT, INFECTION, NIGHT_ONLY, ADVISORY,
        RequirementFacts(51, "ppe", "Hi-vis and safety boots", 0),
        RequirementFacts(52, "method_statement", "RAMS approved by the site", 120))
ARRANGEABLE = [r for r in REQS if r.kind not in ("permitted_hours",)]
states = st.sampled_from(["requested", "submitted", "approved", "rejected"])
moments = st.integers(min_value=-400, max_value=400).map(lambda h: START + h * H)
arrangements = st.dictionaries(
    st.sampled_from([r.id for r in ARRANGEABLE]),
    st.tuples(states, moments),
)


def _inputs(arr: dict[int, tuple[str, dt.datetime]], category: str, overrides: frozenset[str], eligible: int) -> ReadinessInputs:
    return replace(
        BASE, category=category, requirements=REQS, overrides=overrides,
        arrangements={i: ArrangementFacts(i, s, at - H, at if s == "approved" else None) for i, (s, at) in arr.items()},
        people=PeopleFacts(True, eligible, 3),
    )


@given(arrangements, st.sampled_from(["install", "audit", "break_fix"]), st.sampled_from([r.id for r in ARRANGEABLE]),
       moments, moments)
def test_adding_an_approved_arrangement_never_adds_a_blocker(arr, category, req_id, approved_at, now):
    assume(arr.get(req_id, ("requested",))[0] != "approved")  # adding, not replacing an approval
    before = {b.key for b in evaluate(_inputs(arr, category, frozenset(), 1), now).blockers}
    after = {b.key for b in evaluate(_inputs({**arr, req_id: ("approved", approved_at)}, category, frozenset(), 1), now).blockers}
    assert after <= before


@given(arrangements, st.sampled_from(["install", "audit"]), st.sets(st.sampled_from(
    ["requirement:11", "requirement:12", "requirement:31", "requirement:22", "requirement:51", "requirement:52", "people"])),
    st.integers(0, 2), moments)
def test_ready_iff_no_open_blocker(arr, category, overrides, eligible, now):
    result = evaluate(_inputs(arr, category, frozenset(overrides), eligible), now)
    open_ = [b for b in result.blockers if not b.overridden]
    assert result.ready == (not open_)
    assert all(b.overridden == (b.key in overrides) for b in result.blockers)
    assert result.at_risk == any(b.needed_by is not None and b.needed_by < now for b in open_)
