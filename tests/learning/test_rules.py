"""Table tests of the learning rules: the blameless draft, durations, hints, overdue actions, problem proposals."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from opsdesk.core.fsm import InvalidTransition
from opsdesk.learning import rules
from opsdesk.learning.rules import Entry, IncidentFacts, Recurrence

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)


def facts(**kw) -> IncidentFacts:
    base = {
        "title": "Checkout errors", "severity": "sev2", "started_at": T0, "detected_at": T0 + 3 * M,
        "services": ("Checkout", "Payments"), "acknowledged_at": T0 + 6 * M, "mitigated_at": T0 + 85 * M,
        "resolved_at": T0 + 100 * M, "alert_count": 4,
    }
    return IncidentFacts(**{**base, **kw})


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(seconds=20), "under 1 min"),
        (dt.timedelta(seconds=-5), "under 1 min"),
        (5 * M, "5 min"),
        (60 * M, "1 h"),
        (85 * M, "1 h 25 min"),
        (dt.timedelta(days=2, hours=3), "2 d 3 h"),
        (dt.timedelta(days=1, minutes=5), "1 d 5 min"),
        (None, "unknown"),
    ],
)
def test_human_duration(delta, text):
    assert rules.human_duration(delta) == text


def test_utc_text_is_the_same_in_every_zone():
    from zoneinfo import ZoneInfo

    at = dt.datetime(2025, 3, 1, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert rules.utc_text(at) == "2025-03-01 09:30 UTC"


def test_draft_has_every_section_with_the_facts():
    draft = rules.draft_postmortem(facts(change="CHG-7 Upgrade the load balancers"))
    assert set(draft) == set(rules.SECTIONS)
    assert 'SEV2 incident "Checkout errors" affecting Checkout, Payments.' in draft["summary"]
    assert "Impact lasted 1 h 25 min (2025-03-01 09:00 UTC to 2025-03-01 10:25 UTC)" in draft["summary"]
    assert "Resolved 1 h 40 min after it began" in draft["summary"]
    assert "Duration of impact: 1 h 25 min" in draft["impact"]
    assert "time to detect: 3 min" in draft["detection"]
    assert "time to acknowledge: 3 min after detection" in draft["detection"]
    assert "4 alerts were correlated" in draft["detection"]
    assert "CHG-7 Upgrade the load balancers" in draft["contributing_factors"]
    assert rules.TO_BE_COMPLETED.lower() in draft["contributing_factors"]


def test_impact_counts_clients_and_names_downstream_and_sites():
    impact = {"services": [{"id": 1, "name": "Checkout"}], "downstream": [{"id": 2, "name": "Orders"}],
              "sites": [{"id": 3, "code": "LON1"}], "clients": [{"id": 4, "name": "Alpha Health"}, {"id": 5, "name": "Beta"}]}
    text = rules.draft_postmortem(facts(impact=impact))["impact"]
    assert "Downstream services: Orders." in text and "Sites: LON1." in text
    assert "Clients affected: 2." in text
    assert "Alpha Health" not in text  # each client reads the published postmortem


def test_response_is_the_sequence_of_state_role_and_update_entries_in_utc():
    timeline = (
        Entry(T0 + 3 * M, "opsdesk", "created", "Declared SEV2: Checkout errors", {"state": [None, "triggered"]}),
        Entry(T0 + 4 * M, "opsdesk", "alert", "Alert HighErrorRate", {}),
        Entry(T0 + 6 * M, "alice", "transition", "State triggered → acknowledged", {"state": ["triggered", "acknowledged"]}),
        Entry(T0 + 7 * M, "alice", "role", "Incident commander: bob", {}),
        Entry(T0 + 8 * M, "alice", "note", "private musing", {}),
        Entry(T0 + 9 * M, "bob", "updated", "Changed severity", {"severity": ["sev3", "sev2"]}),
        Entry(T0 + 20 * M, "bob", "update", "Update for Clients: " + "x" * 400, {}),
        Entry(T0 + 85 * M, "bob", "transition", "State acknowledged → monitoring", {"state": ["acknowledged", "monitoring"]}),
    )
    response = rules.draft_postmortem(facts(timeline=timeline))["response"]
    lines = response.splitlines()
    assert lines[0] == "- 2025-03-01 09:03 UTC — Declared SEV2: Checkout errors"
    assert lines[1] == "- 2025-03-01 09:06 UTC — State triggered → acknowledged"
    assert lines[2] == "- 2025-03-01 09:07 UTC — Incident commander: bob"
    assert lines[3] == "- 2025-03-01 09:09 UTC — Severity SEV3 → SEV2"
    assert lines[4].endswith("…") and len(lines[4]) < 240
    assert lines[5] == "- 2025-03-01 10:25 UTC — State acknowledged → monitoring"
    assert lines[6] == "- 2025-03-01 10:40 UTC — Resolved"  # no resolved entry: from the instant
    assert "musing" not in response and "Alert HighErrorRate" not in response
    assert len(lines) == 7


@pytest.mark.parametrize(
    ("kw", "well", "hard"),
    [
        ({}, ["Detected within 5 min", "Acknowledged within 5 min", "4 alerts were grouped"], []),
        ({"detected_at": T0 + 45 * M, "acknowledged_at": T0 + 46 * M}, ["Acknowledged within"], ["Detection took 45 min"]),
        ({"acknowledged_at": T0 + 50 * M}, ["Detected within"], ["Acknowledgement took 47 min"]),
        ({"update_overdue": True}, ["Detected within"], ["status update was overdue"]),
        ({"timeline": (Entry(T0, "x", "reminder", "Update overdue; reminded bob"),)}, [], ["status update was overdue"]),
        ({"alert_count": 40}, [], ["40 alerts were correlated"]),
        ({"mitigated_at": T0 + 30 * M}, ["Impact stopped within 1 h (30 min)"], []),
        ({"timeline": (Entry(T0, "x", "transition", "", {"state": ["resolved", "investigating"]}),)}, [], ["reopened"]),
    ],
)
def test_hints(kw, well, hard):
    draft = rules.draft_postmortem(facts(**kw))
    for hint in well:
        assert hint in draft["went_well"]
    for hint in hard:
        assert hint in draft["was_hard"]
    if not hard:
        assert draft["was_hard"] == rules.TO_BE_COMPLETED


def test_unacknowledged_and_unresolved_facts_are_described():
    draft = rules.draft_postmortem(facts(acknowledged_at=None, mitigated_at=None, resolved_at=None, alert_count=1))
    assert "never acknowledged" in draft["detection"]
    assert "1 alert was correlated" in draft["detection"]
    assert "Duration of impact: unknown" in draft["impact"]


@pytest.mark.parametrize("slow", [False, True])
def test_the_draft_is_blameless_and_names_no_person(slow):
    timeline = (
        Entry(T0 + 6 * M, "alice.smith", "transition", "State triggered → acknowledged", {"state": ["triggered", "acknowledged"]}),
        Entry(T0 + 7 * M, "bob.jones", "note", "bob.jones restarted the wrong pod", {}),
    )
    kw = {"detected_at": T0 + 90 * M, "acknowledged_at": T0 + 200 * M, "update_overdue": True, "alert_count": 50} if slow else {}
    draft = rules.draft_postmortem(facts(timeline=timeline, **kw))
    text = "\n".join(draft.values())
    assert rules.blame_words(text) == []
    assert "alice.smith" not in text and "bob.jones" not in text


def test_blame_words_are_found():
    assert rules.blame_words("The operator made a MISTAKE and should have known") == ["mistake", "should have"]
    assert rules.blame_words("The alert threshold was too high") == []


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({}, []),
        ({"went_well": ""}, ["went well is empty"]),
        ({"contributing_factors": "- " + rules.TO_BE_COMPLETED}, ["contributing factors still says"]),
    ],
)
def test_publish_problems(change, missing):
    sections = {name: "written" for name in rules.SECTIONS} | change
    problems = rules.publish_problems(sections)
    assert len(problems) == len(missing)
    for expected, got in zip(missing, problems, strict=True):
        assert got.startswith(expected)


def test_a_fresh_draft_cannot_be_published_as_is():
    assert rules.publish_problems(rules.draft_postmortem(facts()))


@pytest.mark.parametrize(
    ("machine", "current", "target", "ok"),
    [
        (rules.POSTMORTEM_MACHINE, "draft", "in_review", True),
        (rules.POSTMORTEM_MACHINE, "draft", "published", False),
        (rules.POSTMORTEM_MACHINE, "in_review", "published", True),
        (rules.POSTMORTEM_MACHINE, "published", "draft", True),
        (rules.POSTMORTEM_MACHINE, "published", "in_review", False),
        (rules.ACTION_MACHINE, "open", "done", True),
        (rules.ACTION_MACHINE, "done", "open", True),
        (rules.ACTION_MACHINE, "done", "wont_do", False),
        (rules.PROBLEM_MACHINE, "proposed", "known_error", True),
        (rules.PROBLEM_MACHINE, "dismissed", "resolved", False),
        (rules.PROBLEM_MACHINE, "resolved", "open", True),
    ],
)
def test_machines(machine, current, target, ok):
    assert machine.can(current, target) is ok
    if not ok:
        with pytest.raises(InvalidTransition):
            machine.apply(current, target)


D = dt.date(2025, 3, 10)


@pytest.mark.parametrize(
    ("state", "due_on", "overdue"),
    [
        ("open", D - dt.timedelta(days=1), True),
        ("in_progress", D - dt.timedelta(days=1), True),
        ("open", D, False),  # due today is not late yet
        ("done", D - dt.timedelta(days=9), False),
        ("wont_do", D - dt.timedelta(days=9), False),
    ],
)
def test_is_overdue(state, due_on, overdue):
    assert rules.is_overdue(SimpleNamespace(state=state, due_on=due_on), D) is overdue


@pytest.mark.parametrize(
    ("notified_on", "every", "send"),
    [
        (None, 1, True),
        (D, 1, False),
        (D - dt.timedelta(days=1), 1, True),
        (D - dt.timedelta(days=3), 7, False),
        (D - dt.timedelta(days=7), 7, True),
        (D, 0, False),  # at most once a day whatever the setting
    ],
)
def test_needs_overdue_notice(notified_on, every, send):
    action = SimpleNamespace(state="open", due_on=D - dt.timedelta(days=2))
    assert rules.needs_overdue_notice(action, notified_on, D, every) is send


def r(pk, day, services=(1,), signature="HighErrorRate"):
    return Recurrence(pk, tuple(services), signature, T0 + dt.timedelta(days=day))


@pytest.mark.parametrize(
    ("incidents", "kw", "expected"),
    [
        ([r(1, 0), r(2, 10), r(3, 20)], {}, [(1, "HighErrorRate", [1, 2, 3])]),
        ([r(1, 0), r(2, 10)], {}, []),
        ([r(1, 0), r(2, 20), r(3, 40)], {}, []),  # never 3 within 30 days
        ([r(1, 0), r(2, 20), r(3, 40), r(4, 45)], {}, [(1, "HighErrorRate", [2, 3, 4])]),
        ([r(1, 0), r(2, 1), r(3, 2, signature="DiskFull")], {}, []),
        ([r(1, 0), r(2, 1), r(3, 2, signature="  ")], {"min_incidents": 2}, [(1, "HighErrorRate", [1, 2])]),
        ([r(1, 0, (1, 2)), r(2, 1, (2,)), r(3, 2, (1, 2))], {}, [(2, "HighErrorRate", [1, 2, 3])]),
        ([r(1, 0), r(2, 5)], {"min_incidents": 2, "window": dt.timedelta(days=3)}, []),
        ([r(1, 0), r(2, 5)], {"min_incidents": 2, "window": dt.timedelta(days=5)}, [(1, "HighErrorRate", [1, 2])]),
        ([r(i, 0, signature="") for i in range(5)], {}, []),
    ],
)
def test_propose_problems(incidents, kw, expected):
    assert rules.propose_problems(incidents, **kw) == expected
