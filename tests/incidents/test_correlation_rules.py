"""Correlation's decision rules (incidents.rules.correlate), table-driven and as properties: every
decision follows the rules, and every reason it records says only what is true of the facts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.incidents import rules

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
STORAGE, EPR, MAIL = 1, 2, 3  # EPR depends on Storage
DC1, DC2 = 10, 11
PROM, EVENTS = 100, 200
NAMES = {"service:1": "Storage", "service:2": "EPR", "service:3": "Mail", "site:10": "DC1", "site:11": "DC2"}


def inc(pk: int, opened_ago: int, services: tuple[int, ...] = (), sites: tuple[int, ...] = (), *, state: str = "identified",
        resolved_ago: int | None = None, integration: int | None = PROM, signature: str = "") -> rules.KnownIncident:
    """An incident opened `opened_ago` minutes before AT (resolved `resolved_ago` minutes before, if finished)."""
    resolved = AT - resolved_ago * MIN if resolved_ago is not None else None
    return rules.KnownIncident(pk, AT - opened_ago * MIN, frozenset(services), frozenset(sites), integration, signature,
                               state, resolved)


def decide(incidents: list[rules.KnownIncident], service: int | None = None, site: int | None = None, *,
           upstream: tuple[int, ...] = (), windows: rules.Windows = rules.DEFAULT_WINDOWS, integration: int | None = PROM,
           signature: str = "", storm_limit: int = rules.STORM_LIMIT) -> rules.Decision:
    return rules.correlate(service, site, AT, incidents, upstream, NAMES, windows, integration_id=integration,
                           signature=signature, storm_limit=storm_limit)


W = rules.Windows
CASES: list[tuple[str, list[rules.KnownIncident], dict[str, Any], tuple[int | None, str], list[str], list[str]]] = [
    ("the demo's INC-3: SEV1 open on Storage for 95 min, a new Storage alert joins it",
     [inc(3, 95, (STORAGE,), (DC2,), signature="StorageLatencyHigh")],
     {"service": STORAGE, "site": DC2, "signature": "StorageLatencyHigh"},
     (3, "same_service"), ["Same service (Storage) as INC-3, still open (opened 95 min ago)."], ["No open incident"]),
    ("open for two days still attracts its service's alerts",
     [inc(7, 2 * 24 * 60, (STORAGE,))], {"service": STORAGE}, (7, "same_service"), ["opened 48 h 0 min ago"], []),
    ("of two open incidents on the service, the newest",
     [inc(1, 300, (STORAGE,)), inc(2, 200, (STORAGE,))], {"service": STORAGE}, (2, "same_service"), ["INC-2"], []),
    ("a symptom of an upstream incident open for hours",
     [inc(3, 180, (STORAGE,))], {"service": EPR, "upstream": (STORAGE,)},
     (3, "upstream"), ["EPR depends on Storage, which already has INC-3 open: joined as a symptom."], []),
    ("the same site within the group window",
     [inc(4, 30, (MAIL,), (DC1,))], {"service": EPR, "site": DC1}, (4, "same_site"),
     ["Same site (DC1) as INC-4, opened 30 min ago (within 60 min)."], []),
    ("the same site outside the group window opens an incident, saying which one was too old",
     [inc(4, 120, (MAIL,), (DC1,))], {"service": EPR, "site": DC1}, (None, "trigger"),
     ["No open incident on EPR;", "none on site DC1 opened within 60 min (INC-4 there was opened 2 h 0 min ago)"], []),
    ("a longer group window is the integration's to set",
     [inc(4, 150, (MAIL,), (DC1,))], {"service": EPR, "site": DC1, "windows": W(group=180 * MIN)}, (4, "same_site"),
     ["within 180 min"], []),
    ("the same alert from the same integration within the window",
     [inc(5, 20, signature="DiskFull")], {"signature": "DiskFull"}, (5, "same_signature"),
     ["Same alert (DiskFull) from the same integration as INC-5, opened 20 min ago (within 60 min)."], []),
    ("the same alert name from another integration is another failure",
     [inc(5, 20, signature="DiskFull", integration=EVENTS)], {"signature": "DiskFull"}, (None, "trigger"),
     ["No service known for this alert; none for this alert (DiskFull) from this integration within 60 min"], []),
    ("resolved ten minutes ago on the service: reopened",
     [inc(6, 60, (STORAGE,), state="resolved", resolved_ago=10)], {"service": STORAGE}, (6, "reopened"),
     ["Same service (Storage) as INC-6, resolved 10 min ago (within 60 min): reopened, it came back."], []),
    ("resolved ten minutes ago, the same alert without a service: reopened",
     [inc(6, 60, state="resolved", resolved_ago=10, signature="DiskFull")], {"signature": "DiskFull"}, (6, "reopened"),
     ["Same alert (DiskFull) from the same integration as INC-6"], []),
    ("resolved after the alert began (a late delivery): reopened",
     [inc(6, 60, (STORAGE,), state="resolved", resolved_ago=-5)], {"service": STORAGE}, (6, "reopened"),
     ["resolved after this alert began"], []),
    ("resolved two hours ago: a new incident with a true reason",
     [inc(6, 240, (STORAGE,), state="resolved", resolved_ago=120)], {"service": STORAGE}, (None, "trigger"),
     ["No open incident on Storage;", "none resolved within 60 min."], ["INC-6"]),
    ("a shorter reopen window is the integration's to set",
     [inc(6, 60, (STORAGE,), state="resolved", resolved_ago=10)], {"service": STORAGE, "windows": W(reopen=5 * MIN)},
     (None, "trigger"), ["none resolved within 5 min."], []),
    ("closed ten minutes after resolving: closed is final, a new incident says so",
     [inc(6, 60, (STORAGE,), state="closed", resolved_ago=10)], {"service": STORAGE}, (None, "trigger"),
     ["No open incident on Storage;", "INC-6, resolved 10 min ago, is closed (a closed incident stays closed)."], []),
    ("an open incident is preferred to reopening a resolved one",
     [inc(6, 60, (STORAGE,), state="resolved", resolved_ago=5), inc(8, 20, (MAIL,), (DC1,))],
     {"service": STORAGE, "site": DC1}, (8, "same_site"), [], []),
    ("an incident opened after the alert cannot take it",
     [inc(9, -5, (STORAGE,))], {"service": STORAGE}, (None, "trigger"), ["No open incident on Storage;"], []),
    ("an integration in a storm joins its newest incident",
     [inc(20 + i, 50 - i, (MAIL,)) for i in range(3)], {"service": EPR, "storm_limit": 3}, (22, "storm"),
     ["this integration opened 3 incidents within 60 min; joined the newest, INC-22"], []),
]


@pytest.mark.parametrize(("name", "incidents", "alert", "expected", "says", "never_says"), CASES, ids=[c[0] for c in CASES])
def test_decisions(name: str, incidents: list[rules.KnownIncident], alert: dict[str, Any],
                   expected: tuple[int | None, str], says: list[str], never_says: list[str]) -> None:
    decision = decide(incidents, **alert)
    assert (decision.incident_id, decision.relation) == expected
    for text in says:
        assert text in decision.reason
    for text in never_says:
        assert text not in decision.reason


# --- properties: any facts, any alert -------------------------------------------------------------

OPEN = sorted(rules.OPEN_STATES)


@st.composite
def incidents(draw: Any) -> list[rules.KnownIncident]:
    out = []
    for pk in range(1, draw(st.integers(0, 6)) + 1):
        opened = draw(st.integers(-30, 6 * 60))
        state = draw(st.sampled_from([*OPEN, "resolved", "closed"]))
        resolved = None if state in rules.OPEN_STATES else draw(st.integers(-30, opened))
        out.append(inc(pk, opened, tuple(draw(st.sets(st.sampled_from([STORAGE, EPR, MAIL]), max_size=2))),
                       tuple(draw(st.sets(st.sampled_from([DC1, DC2]), max_size=1))), state=state, resolved_ago=resolved,
                       integration=draw(st.sampled_from([PROM, EVENTS, None])),
                       signature=draw(st.sampled_from(["", "DiskFull", "StorageLatencyHigh"]))))
    return out


def _ago_minutes(text: str) -> int:
    m = re.fullmatch(r"(?:(\d+) h )?(\d+) min", text)
    assert m, text
    return int(m.group(1) or 0) * 60 + int(m.group(2))


@settings(max_examples=400, deadline=None)
@given(incidents(), st.sampled_from([None, STORAGE, EPR, MAIL]), st.sampled_from([None, DC1, DC2]),
       st.sampled_from([PROM, EVENTS, None]), st.sampled_from(["", "DiskFull"]), st.booleans(),
       st.sampled_from([30, 60, 180]), st.sampled_from([5, 60]))
def test_every_decision_follows_the_rules_and_its_reason_is_true(
    known: list[rules.KnownIncident], service: int | None, site: int | None, integration: int | None, signature: str,
    with_upstream: bool, group: int, reopen: int,
) -> None:
    upstream = (STORAGE,) if with_upstream and service == EPR else ()
    windows = rules.Windows(group=group * MIN, reopen=reopen * MIN)
    d = decide(known, service, site, upstream=upstream, windows=windows, integration=integration, signature=signature,
               storm_limit=3)
    by_id = {i.id: i for i in known}
    seen = [i for i in known if i.detected_at <= AT]
    live = [i for i in seen if i.is_open]

    def same_alert(i: rules.KnownIncident) -> bool:
        return bool(integration is not None and signature and i.integration_id == integration and i.signature == signature)

    on_service = [i for i in live if service is not None and service in i.service_ids]
    on_upstream = [i for i in live if set(upstream) & i.service_ids]
    grouped = [i for i in live if AT - i.detected_at <= windows.group
               and ((site is not None and site in i.site_ids) or same_alert(i))]
    came_back = [i for i in seen if not i.is_open and i.resolved_at is not None and AT - i.resolved_at <= windows.reopen
                 and ((service is not None and service in i.service_ids) or same_alert(i))]

    # An open incident on the alert's service always takes it, however long it has been open.
    assert (d.relation == "same_service") == bool(on_service)
    if d.incident_id is not None:
        chosen = by_id[d.incident_id]
        assert chosen.detected_at <= AT and f"INC-{chosen.id}" in d.reason
        assert chosen.is_open or d.relation == "reopened"
    # Every age a reason gives is the true age of the incident it names.
    for pk, ago in re.findall(r"INC-(\d+)[^.;]*?opened ((?:\d+ h )?\d+ min) ago", d.reason):
        assert _ago_minutes(ago) == int((AT - by_id[int(pk)].detected_at).total_seconds() // 60)
    for pk, ago in re.findall(r"INC-(\d+)[^.;]*?resolved ((?:\d+ h )?\d+ min) ago", d.reason):
        resolved = by_id[int(pk)].resolved_at
        assert resolved is not None and _ago_minutes(ago) == int((AT - resolved).total_seconds() // 60)

    if d.relation == "same_service":
        assert service in by_id[d.incident_id or 0].service_ids and "still open" in d.reason
        assert by_id[d.incident_id or 0] == max(on_service, key=lambda i: (i.detected_at, i.id))
    elif d.relation in ("same_site", "same_signature"):
        assert by_id[d.incident_id or 0] in grouped and f"within {group} min" in d.reason
    elif d.relation == "upstream":
        assert by_id[d.incident_id or 0] in on_upstream and not grouped
    elif d.relation == "reopened":
        chosen = by_id[d.incident_id or 0]
        assert chosen.state == "resolved" and chosen in came_back and not grouped and not on_upstream
    elif d.relation == "storm":
        assert not grouped and not on_upstream and not [i for i in came_back if i.state == "resolved"]
    else:
        assert d.relation == "trigger" and d.incident_id is None
        # Nothing it could have joined: what the reason says was not found, was not there.
        assert not grouped and not on_upstream and not [i for i in came_back if i.state == "resolved"]
        if service is not None:
            assert d.reason.startswith(f"No open incident on {NAMES[f'service:{service}']}")
            assert ("or its upstream dependencies" in d.reason) == bool(upstream)
        else:
            assert d.reason.startswith("No service known for this alert")
        assert ("is closed" in d.reason) == bool(came_back)
        if service is not None or (integration is not None and signature):
            assert bool(came_back) or f"none resolved within {reopen} min" in d.reason
