"""Which fields of a shared object a client user sees: only their own part, never another client's.

A world where client A ("Aurora Care") and client B ("Quillfeather Bank") share a site, a change,
an incident, its postmortem and problem; B also has objects of its own. As A's client user we
crawl every page reachable from the home page (GET only, breadth first, within the site) and
call every GET operation of the OpenAPI document with A's object ids filled in, and fail on
any of B's markers: its name and code, its users' usernames and names, its own sites' codes
and names, its services' names and codes, the titles and numbers of its own changes and work
(all distinctive strings, so a hit is a leak, not a coincidence), and B-only ids in id fields.
Every link on A's pages must answer 200 for A.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client as HttpClient

from opsdesk.changes import services as change_services
from opsdesk.core import clock, timeline
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 3, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.datetime(2030, 6, 4, 1, 0, tzinfo=dt.UTC)
# Pages that are not content (static files, the admin, the API's own interactive docs).
SKIP_PREFIXES = ("/static/", "/admin/", "/api/v1/docs", "/accounts/logout")
MAX_PAGES = 600
# Pages that differ only in their query's values (calendar weeks, filters, pages) are visited this
# many times each: enough to see their content, without walking the calendar to the end of time.
VARIANTS = 3


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(base: str, body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    out = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urlsplit(urljoin("http://testserver" + base, href))
        if url.netloc != "testserver" or url.path.startswith(SKIP_PREFIXES):
            continue
        out.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def _change(actor: Any, *, title: str, services: list[Any], sites: list[Any], description: str = "",
            start: dt.datetime = WINDOW) -> Any:
    return change_services.create_change(
        {"title": title, "description": description, "services": [s.pk for s in services],
         "sites": [s.pk for s in sites], "window_start": start, "window_end": start + dt.timedelta(hours=3),
         "implementation_plan": "Drain, upgrade, undrain.", "verification_plan": "Synthetic checks pass.",
         "rollback_plan": {"steps": "Reinstall the previous build.", "trigger": "Checks fail",
                           "duration_minutes": 30}},
        actor=actor,
    )


def _scheduled(wo: Any, dispatcher: Any) -> Any:
    """The work order scheduled (its visit is then on core.schedule), its blockers overridden."""
    from opsdesk.workorders import services as work_services

    for to in ("triage", "readiness", "ready", "scheduled"):
        for blocker in (wo.readiness or {}).get("blockers", []):
            if not blocker.get("overridden"):
                work_services.override_blocker(wo, blocker["key"], reason="probe world", actor=dispatcher)
        wo = work_services.transition_work_order(wo, to, actor=dispatcher, reason="probe world")
    return wo


@pytest.fixture
def shared_world():
    """A and B share a site, a change (approved by both clients' approvers), an incident and its learning."""
    from opsdesk.alerts.models import Alert
    from opsdesk.incidents import impact
    from opsdesk.incidents import services as incident_services
    from opsdesk.incidents.updates import post_update
    from opsdesk.learning.models import Problem
    from opsdesk.slas.models import SlaPolicy
    from opsdesk.slos import services as slo_services
    from opsdesk.workorders import services as work_services
    from tests.alerts.pipeline import deliver, make_integration, process, signal
    from tests.learning.factories import make_action, make_postmortem

    a = f.make_client(code="aurora", name="Aurora Care")
    b = f.make_client(code="qfbzx", name="Quillfeather Bank")
    region = f.make_region(code="EMEA", name="Europe")
    shared = f.make_site(code="shared-dc9", name="Common Hall", region=region, clients=[a, b])
    a_site = f.make_site(code="aur-ward7", name="Aurora Ward", region=region, clients=[a])
    b_site = f.make_site(code="qfb-vaultsite", name="Quillfeather Vault House", region=region, clients=[b])
    a_svc = f.make_service(a, sites=[shared, a_site], code="aur-epr", name="Aurora EPR", criticality=3)
    b_svc = f.make_service(b, sites=[shared, b_site], code="qfb-ledger", name="Quillfeather Ledger", criticality=4)
    b_down = f.make_service(b, sites=[b_site], code="qfb-teller", name="Zorblax Teller", criticality=4)
    f.depend(b_down, b_svc)
    user_a = f.make_user("client", client=a, username="aurora-amy", first_name="Amy", last_name="Aurelian")
    user_b = f.make_user("client", client=b, username="qfb-xanthe", first_name="Xanthe", last_name="Quillington")
    desk = f.make_user("service_desk", username="desk-dora", first_name="Dora", last_name="Desk")
    approver = f.make_user("change_approver", username="cab-carl", first_name="Carl", last_name="Cab")
    peer = f.make_user("change_approver", username="cab-pia", first_name="Pia", last_name="Peer")
    commander = f.make_user("incident_commander", username="ic-ivo", first_name="Ivo", last_name="Ic")
    policy = SlaPolicy.objects.create(name="Aurora P1", applies_to="work_order", client=a, level="p1",
                                      response_minutes=15, resolution_minutes=240)
    requirement = f.make_requirement(shared, description="Badge in at the common desk")
    slo, _ = slo_services.create_slo({"service": a_svc.pk, "name": "Aurora availability", "kind": "availability",
                                      "objective": 0.999}, actor=None)
    check = slo_services.create_check({"service": a_svc.pk, "name": "Aurora home", "url": "http://aurora.example/",
                                       "availability_slo": slo.pk}, actor=None)
    slo_services.create_slo({"service": b_svc.pk, "name": "Quillfeather availability", "kind": "availability",
                             "objective": 0.999}, actor=None)

    with clock.frozen(NOW - dt.timedelta(days=1)):
        # B's own work at the shared site and on its own service, overlapping the shared change.
        b_change = _change(desk, title="Quokka vault rekey", services=[b_svc], sites=[b_site],
                           start=WINDOW + dt.timedelta(hours=1))
        b_change = change_services.transition_change(b_change, "submitted", actor=desk)
        b_wo = work_services.create_work_order(
            {"client": b.pk, "site": shared.pk, "services": [b_svc.pk], "category": "cabling",
             "title": "Quillfeather teller cabling", "window_start": WINDOW, "window_end": WINDOW + dt.timedelta(hours=2)},
            actor=desk,
        )
        a_wo = work_services.create_work_order(
            {"client": a.pk, "site": shared.pk, "services": [a_svc.pk], "category": "cabling",
             "title": "Aurora ward cabling", "window_start": WINDOW, "window_end": WINDOW + dt.timedelta(hours=2)},
            actor=desk,
        )
        work_services.add_comment(a_wo, "Cabling booked for you.", visibility="client", actor=desk)
        dispatcher = f.make_user("dispatcher", username="disp-dan", first_name="Dan", last_name="Dispatch")
        b_wo, a_wo = _scheduled(b_wo, dispatcher), _scheduled(a_wo, dispatcher)
        # The shared change, as staff write it (naming both clients in free text).
        change = _change(desk, title="Core switch firmware", services=[a_svc, b_svc], sites=[shared, a_site, b_site],
                         description="Firmware upgrade for Aurora Care and Quillfeather Bank (qfbzx) at qfb-vaultsite.")
        change = change_services.transition_change(change, "submitted", actor=desk)
        change_services.decide(change, approver, capacity="change_approver", decision="approved", comment="Fine.")
        change_services.decide(change, peer, capacity="peer", decision="approved", comment="Checked.")
        change_services.decide(change, user_b, capacity="client", decision="approved",
                               comment="Quillfeather Bank agrees; Xanthe Quillington.")
        change_services.decide(change, user_a, capacity="client", decision="approved", comment="Aurora agrees.")
    with clock.frozen(WINDOW + dt.timedelta(minutes=30)):
        incident = incident_services.declare_incident(
            {"title": "Core network degraded", "severity": "sev2", "services": [a_svc.pk, b_svc.pk],
             "sites": [shared.pk, b_site.pk], "owner": commander.pk},
            actor=commander,
        )
        post_update(incident, {"audience": "clients", "body": "We are restoring the core network."}, actor=commander)
        impact.refresh(incident)
    with clock.frozen(WINDOW + dt.timedelta(minutes=40)):
        integration = make_integration(a, default_service=a_svc)
        deliver(integration, signal("aurora-down", summary="Aurora EPR slow"))
        process()
        b_integration = make_integration(b, default_service=b_svc, name="Quillfeather Prometheus")
        deliver(b_integration, signal("qfb-down", summary="Quillfeather Ledger errors"))
        process()
        # B's deploy, reported as a change event: recorded as B's own implemented standard change.
        from opsdesk.alerts.change_events import formats as change_event_formats
        from opsdesk.alerts.change_events import services as change_events

        reported = change_event_formats.check({"summary": "Quokka ledger deploy", "source": "qfb-ci"}, "", "qfb-deploy")
        b_deploy = change_events.record(b_integration, reported, clock.now())[0].change
    alert = Alert.objects.get(integration=integration)
    pm = make_postmortem(incident, state="published", impact="Aurora Care and Quillfeather Bank lost the core network.")
    make_action(pm, due_on=dt.date(2030, 7, 1), title="Stage firmware first with Quillfeather Bank")
    problem = Problem.objects.create(title="Core network recurring", service=b_svc, signature="core", state="open",
                                     known_error="Quillfeather Ledger floods the core switch")
    problem.clients.set([a, b])
    incident.problem = problem
    incident.save(update_fields=["problem"])
    for shared_object in (change, incident, problem):
        # Client-visible entries as staff and B's user write them, naming B.
        timeline.record(shared_object, "note", actor=desk, visibility="client",
                        summary="Slot agreed with Quillfeather Bank (Xanthe Quillington) and Aurora Care")
        timeline.record(shared_object, "note", actor=user_b, visibility="client", summary="Confirmed for us")

    b_ids = {
        "site": {b_site.pk}, "service": {b_svc.pk, b_down.pk}, "client": {b.pk}, "user": {user_b.pk},
        "change": {b_change.pk, b_deploy.pk}, "work_order": {b_wo.pk},
    }
    markers = [
        b.name, b.code, user_b.username, "Xanthe", "Quillington", b_site.code, b_site.name, b_svc.name, b_svc.code,
        b_down.name, b_down.code, b_change.title, b_wo.title, "Quillfeather", "Quokka", "Zorblax",
    ]
    numbers = [f"CHG-{b_change.pk}", f"WO-{b_wo.pk}", f"changes.changerequest:{b_change.pk}",
               f"workorders.workorder:{b_wo.pk}", f"/changes/{b_change.pk}/", f"/work/{b_wo.pk}/",
               f"/sites/{b_site.pk}/", f"/services/{b_svc.pk}/", f"/services/{b_down.pk}/", f"/clients/{b.pk}/", f"CHG-{b_deploy.pk}", f"/changes/{b_deploy.pk}/"]
    own = {
        "changes": change.pk, "work-orders": a_wo.pk, "sites": shared.pk, "services": a_svc.pk, "clients": a.pk,
        "incidents": incident.pk, "postmortems": pm.pk, "actions": pm.actions.get().pk, "problems": problem.pk,
        "users": user_a.pk, "regions": region.pk, "site-requirements": requirement.pk, "sla/policies": policy.pk,
        "slos": slo.pk, "synthetic-checks": check.pk, "integrations": integration.pk, "alerts": alert.pk,
    }
    return {"user": user_a, "markers": markers, "numbers": numbers, "b_ids": b_ids, "own": own, "change": change,
            "a": a, "b": b, "shared_site": shared, "a_site": a_site}


def _leaks(world: dict[str, Any], body: str) -> list[str]:
    found = [m for m in world["markers"] if m.lower() in body.lower()]
    found += [n for n in world["numbers"] if re.search(rf"{re.escape(n)}(?!\d)", body)]
    return found


ID_KEYS = {
    "site": "site", "sites": "site", "service": "service", "services": "service", "client": "client",
    "clients": "client", "approver": "user", "user": "user", "owner": "user", "change": "change",
    "work_order": "work_order", "work_orders": "work_order",
}


def _id_leaks(world: dict[str, Any], data: Any, path: str = "") -> list[str]:
    """B-only ids in id-bearing fields of a JSON answer."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            kind = ID_KEYS.get(key)
            if kind:
                values = value if isinstance(value, list) else [value]
                out += [f"{path}.{key}={v}" for v in values if isinstance(v, int) and v in world["b_ids"][kind]]
            out += _id_leaks(world, value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            out += _id_leaks(world, item, f"{path}[{i}]")
    return out


def _shape(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    return parts.path, tuple(sorted({p.split("=", 1)[0] for p in parts.query.split("&") if p}))


def _crawl(http: HttpClient, starts: list[str]) -> dict[str, tuple[int, str]]:
    seen: dict[str, tuple[int, str]] = {}
    queue = deque(starts)
    linked_from: dict[str, str] = {}
    shapes: dict[tuple[str, tuple[str, ...]], int] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        shape = _shape(url)
        if shape[1] and shapes.get(shape, 0) >= VARIANTS and url not in starts:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        r = http.get(url, follow=True)
        body = r.content.decode("utf-8", "replace")
        seen[url] = (r.status_code, linked_from.get(url, "(start)"))
        if r.status_code == 200 and "html" in r.get("Content-Type", ""):
            for link in _links(url, body):
                if link not in seen:
                    linked_from.setdefault(link, url)
                    queue.append(link)
        seen[url] = (r.status_code, linked_from.get(url, "(start)") + "\n" + body)
    return seen


def test_a_client_sees_only_its_part_of_shared_objects_on_every_page(shared_world):
    world = shared_world
    http = HttpClient()
    http.force_login(world["user"])
    own = world["own"]
    starts = ["/", f"/changes/{own['changes']}/", f"/work/{own['work-orders']}/", f"/incidents/{own['incidents']}/",
              f"/sites/{own['sites']}/", f"/services/{own['services']}/", f"/clients/{own['clients']}/",
              f"/work/portal/{own['work-orders']}/", f"/incidents/postmortems/{own['postmortems']}/",
              f"/incidents/problems/{own['problems']}/", "/incidents/postmortems/", "/incidents/problems/",
              "/incidents/actions/", f"/slos/{own['slos']}/", "/changes/calendar/?week=2030-06-03"]
    with clock.frozen(NOW):
        pages = _crawl(http, starts)
    assert len(pages) >= 30, sorted(pages)
    assert len(pages) < MAX_PAGES, "the crawl did not finish"
    problems = []
    for url, (status, rest) in pages.items():
        source, _, body = rest.partition("\n")
        if status != 200:
            problems.append(f"{url} answers {status} (linked from {source})")
            continue
        leaks = _leaks(world, body)
        if leaks:
            problems.append(f"{url} shows {leaks}")
    assert not problems, "\n".join(problems)


def _get_operations(doc: dict[str, Any]) -> list[str]:
    return [path for path, ops in doc["paths"].items() if "get" in ops]


def _fill(world: dict[str, Any], path: str) -> str | None:
    """The path with A's ids in it, or None when it names a kind A has no object of."""
    m = re.match(r"^/api/v1/([a-z-]+(?:/[a-z-]+)?)/\{[a-z_]+\}", path)
    if not m:
        return path if "{" not in path else None
    collection = m.group(1)
    if collection not in world["own"]:
        return None
    return re.sub(r"\{[a-z_]+\}", str(world["own"][collection]), path, count=1)


def test_a_client_sees_only_its_part_of_shared_objects_in_every_api_answer(shared_world, api_for):
    from opsdesk.accounts.services import create_token

    world = shared_world
    api = api_for(world["user"], ["read", "write"])
    with clock.frozen(NOW):
        doc = json.loads(api.get("/api/v1/openapi.json").content)
        called, problems = 0, []
        for path in _get_operations(doc):
            url = _fill(world, path)
            if url is None or "{" in url or url.endswith("openapi.json"):
                continue
            r = api.get(url)
            called += 1
            body = r.content.decode("utf-8", "replace")
            leaks = _leaks(world, body)
            if r.get("Content-Type", "").endswith("json") and body:
                leaks += _id_leaks(world, json.loads(body))
            if leaks:
                problems.append(f"GET {url} ({r.status_code}) shows {leaks}")
        _, raw = create_token(world["user"], scopes=["calendar"], name="feed")
        for query in (f"client={world['a'].pk}", f"site={world['shared_site'].pk}"):
            r = api.http.get(f"/api/v1/calendars/changes.ics?{query}&token={raw}")
            assert r.status_code == 200, query
            body = r.content.decode()
            assert "Core switch firmware" in body
            if _leaks(world, body):
                problems.append(f"changes.ics?{query} shows {_leaks(world, body)}")
    assert called >= 40
    assert not problems, "\n".join(problems)


def test_the_shared_change_shows_a_its_own_part(shared_world, api_for):
    """Not only absent: A's own sites, services and approval are there."""
    world = shared_world
    api = api_for(world["user"])
    with clock.frozen(NOW):
        change = api.get(f"changes/{world['change'].pk}").json()
    assert change["sites"] == sorted([world["shared_site"].pk, world["a_site"].pk])
    assert change["services"] == [world["own"]["services"]]
    assert change["clients"] == [world["a"].pk]
    assert [a["approver_name"] for a in change["approvals"] if a["capacity"] == "client"] == ["Amy Aurelian"]
    assert change["risk"]["score"] == world["change"].risk["score"]
    with clock.frozen(NOW):
        collisions = api.get(f"changes/{world['change'].pk}/collisions").json()
    labels = sorted(c["label"] for c in collisions)
    assert labels == ["Other planned work", "Other planned work", f"WO-{world['own']['work-orders']} Aurora ward cabling"]
    assert all(c["ref"] == "" and c["change"] is None for c in collisions if c["label"] == "Other planned work")
    [risk] = [c for c in change["risk"]["components"] if c["name"] == "collisions"]
    assert risk["detail"].startswith("3 collision(s): ") and "Aurora ward cabling" in risk["detail"]
    assert risk["detail"].count("other planned work") == 2 and "parts" not in risk
    with clock.frozen(NOW):
        entries = api.get(f"changes/{world['change'].pk}/timeline").json()["items"]
    assert [e["summary"] for e in entries] == ["Slot agreed with another client (another client's user) and Aurora Care"]


def test_the_world_really_shares(shared_world, admin_api):
    """The probe has teeth: staff see B's part of the same objects (collisions with B's own work included)."""
    world = shared_world
    with clock.frozen(NOW):
        change = admin_api.get(f"changes/{world['change'].pk}").content.decode()
        collisions = admin_api.get(f"changes/{world['change'].pk}/collisions").content.decode()
        incident = admin_api.get(f"incidents/{world['own']['incidents']}").content.decode()
    assert {"Quillfeather Bank", "Quillfeather Ledger", "Xanthe", "qfb-vaultsite"} <= set(_leaks(world, change))
    assert set(world["numbers"][:2]) <= set(_leaks(world, collisions))
    assert {"Quillfeather Bank", "Zorblax Teller", "qfb-vaultsite"} <= set(_leaks(world, incident))


FILTERS = {"site": "site", "service": "service", "client": "client"}


def test_filtering_by_another_clients_object_finds_nothing(shared_world, api_for):
    """Asking for the shared objects that touch B's own site, service or B itself tells A nothing."""
    world = shared_world
    api = api_for(world["user"])
    doc = json.loads(api.get("/api/v1/openapi.json").content)
    problems, probed = [], 0
    with clock.frozen(NOW):
        for path, ops in doc["paths"].items():
            if "get" not in ops or "{" in path:
                continue
            names = {p["name"] for p in ops["get"].get("parameters", []) if p.get("in") == "query"}
            for name in sorted(names & set(FILTERS)):
                b_id = min(world["b_ids"][FILTERS[name]])
                r = api.get(path, **{name: b_id})
                probed += 1
                if r.status_code == 200:
                    body = r.json()
                    items = body.get("items", body) if isinstance(body, dict) else body
                    if isinstance(items, list) and items:
                        problems.append(f"GET {path}?{name}={b_id} finds {len(items)}")
    assert probed >= 8
    assert not problems, "\n".join(problems)
