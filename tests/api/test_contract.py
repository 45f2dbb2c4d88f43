"""API contract suite: every operation in /api/v1/openapi.json, called with a valid request built
from the factories, answers its documented success status and a body that validates against its
documented response schema (JSON Schema of the OpenAPI 3.1 document, formats checked), on SQLite
and on PostgreSQL. Where cheap, the example also checks the side effect (a create is really
there, a delete really gone, a key really works).

The operations come from the document, so a new endpoint cannot escape: without an example its
test fails with "add a contract example for METHOD PATH".

Adding an endpoint? Add one entry below, next to its neighbours (path as in the document):

    @example("POST", "/api/v1/widgets")
    def _(w: World) -> Call:
        site = f.make_site()
        return Call(201, body={"site": site.pk, "name": "W1"},
                    then=lambda out: Widget.objects.filter(pk=out["id"], site=site).exists())

`Call(status, path=..., query=..., body=..., user=..., at=..., then=...)`: path parameters,
query, JSON body, who calls (default the admin's bearer token; a User for that user's token;
ANONYMOUS for endpoints authenticated by a key in the path or a token in the query), an instant
the clock is frozen at during the call, and a check of the side effect that gets the parsed
answer (or the response, when the answer is not JSON) and must return something true.
`crud(...)` registers the GET/PATCH/DELETE/timeline entries of one collection at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from opsdesk.accounts import services as account_services
from opsdesk.accounts.models import ApiToken
from opsdesk.alerts.models import Alert, ChangeEvent, Integration, RawEvent
from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.core import clock
from opsdesk.core.models import Notification
from opsdesk.incidents.models import Incident
from opsdesk.learning.models import Problem
from opsdesk.people.models import Certification, Engineer, Skill
from opsdesk.services.models import Service
from opsdesk.sites.models import Region, Site, SiteRequirement
from opsdesk.slos.models import SliBucket, Slo, SyntheticCheck
from opsdesk.tenancy.models import Client
from opsdesk.workorders.models import WorkOrder
from tests import factories as f
from tests.alerts import factories as af
from tests.alerts import pipeline
from tests.changes import helpers as ch
from tests.conftest import Api
from tests.dispatch import builders as db_
from tests.incidents import factories as inf
from tests.learning import factories as lf
from tests.slos import factories as slo_factories
from tests.workorders import builders as wb

pytestmark = pytest.mark.django_db

ANONYMOUS = object()
"""`Call.user` for endpoints authenticated by a key in the path or a token in the query."""


@dataclass
class Call:
    """A valid request and what it must answer."""

    status: int
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    user: Any = None  # None: the admin; a User: their token; a str: that bearer key; ANONYMOUS: no Authorization header
    at: dt.datetime | None = None
    then: Callable[[Any], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra request headers, as WSGI META names


class World:
    """What most examples share, made on first use: an admin, a client with a site and a service."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    @property
    def admin(self) -> Any:
        return self._once("admin", lambda: f.make_user("admin"))

    @property
    def client(self) -> Client:
        return self._once("client", f.make_client)

    @property
    def site(self) -> Site:
        return self._once("site", lambda: f.make_site(clients=[self.client]))

    @property
    def service(self) -> Service:
        return self._once("service", lambda: f.make_service(self.client, sites=[self.site]))


Example = Callable[[World], Call]
EXAMPLES: dict[tuple[str, str], Example] = {}


def example(method: str, path: str) -> Callable[[Example], Example]:
    """Register the example of one operation (method and path template as in the document)."""

    def register(build: Example) -> Example:
        key = (method.upper(), path)
        assert key not in EXAMPLES, f"two contract examples for {method} {path}"
        EXAMPLES[key] = build
        return build

    return register


# Further positive cases of an operation that already has its example (another shape of body the
# same operation takes), run and validated the same way: (case id, method, path, build).
VARIANTS: list[tuple[str, str, str, Example]] = []


def variant(case: str, method: str, path: str) -> Callable[[Example], Example]:
    """Register one more example of an operation (the main one is `example`)."""

    def register(build: Example) -> Example:
        VARIANTS.append((case, method.upper(), path, build))
        return build

    return register


def crud(collection: str, make: Callable[[World], Any], *, patch: dict[str, Any] | None = None,
         delete: bool = False, param: str = "obj_id", timeline: bool = True, one: bool = True) -> None:
    """The GET/PATCH/DELETE `/{collection}/{param}` and timeline examples of one collection."""
    base = f"/api/v1/{collection}/{{{param}}}"

    if one:
        example("GET", base)(lambda w: _with(make(w), lambda o: Call(200, path={param: o.pk},
                                                                     then=lambda out: out["id"] == o.pk)))
    if patch is not None:
        example("PATCH", base)(lambda w: _with(make(w), lambda o: Call(
            200, path={param: o.pk}, body=patch,
            then=lambda out: all(out[k] == v for k, v in patch.items() if not isinstance(v, dict | list)))))
    if delete:
        example("DELETE", base)(lambda w: _with(make(w), lambda o: Call(
            204, path={param: o.pk}, then=lambda _r: not type(o)._default_manager.filter(pk=o.pk).exists())))
    if timeline:
        example("GET", f"{base}/timeline")(lambda w: _with(make(w), lambda o: Call(200, path={param: o.pk})))


def _with(obj: Any, build: Callable[[Any], Call]) -> Call:
    return build(obj)


def listed(collection: str, make: Callable[[World], Any], **query: Any) -> None:
    """The GET `/{collection}` example: a page with at least the object `make` builds."""
    example("GET", f"/api/v1/{collection}")(
        lambda w: _with(make(w), lambda o: Call(200, query=query, then=lambda out: out["count"] >= 1
                                                and any(i["id"] == o.pk for i in out["items"]))))


def exists(model: Any, **lookup: Any) -> Callable[[Any], bool]:
    """A `then` check: the answer's id is a row of `model` (with `lookup`)."""
    return lambda out: model.objects.filter(pk=out["id"], **lookup).exists()


# --- tenancy, accounts ------------------------------------------------------------------------
listed("clients", lambda w: w.client)
example("POST", "/api/v1/clients")(lambda w: Call(201, body={"code": "acme", "name": "Acme"}, then=exists(Client, code="acme")))
crud("clients", lambda w: f.make_client(), patch={"name": "Renamed"}, delete=True)

example("GET", "/api/v1/users/me")(lambda w: Call(200, then=lambda out: out["id"] == w.admin.pk))
listed("users", lambda w: w.admin)
example("POST", "/api/v1/users")(lambda w: Call(
    201, body={"username": "newdesk", "role": "service_desk", "email": "new@example.test"},
    then=lambda out: out["username"] == "newdesk"))
crud("users", lambda w: f.make_user("engineer"), patch={"first_name": "Ada"})


@example("GET", "/api/v1/tokens")
def _(w: World) -> Call:
    return Call(200, then=lambda out: out["count"] >= 1)  # the admin's own token


@example("POST", "/api/v1/tokens")
def _(w: World) -> Call:
    return Call(201, body={"name": "ci", "scopes": ["read"]},
                then=lambda out: ApiToken.objects.filter(pk=out["id"], user=w.admin).exists()
                and Api(out["token"]).get("users/me").status_code == 200)


@example("DELETE", "/api/v1/tokens/{token_id}")
def _(w: World) -> Call:
    token, _raw = account_services.create_token(w.admin, scopes=["read"])
    return Call(204, path={"token_id": token.pk},
                then=lambda _r: ApiToken.objects.get(pk=token.pk).revoked_at is not None)


# --- sites ------------------------------------------------------------------------------------
listed("regions", lambda w: w.site.region)
example("POST", "/api/v1/regions")(lambda w: Call(201, body={"code": "EMEA", "name": "Europe"}, then=exists(Region, code="EMEA")))
crud("regions", lambda w: f.make_region(), patch={"name": "Renamed"}, delete=True)
listed("sites", lambda w: w.site)


@example("POST", "/api/v1/sites")
def _(w: World) -> Call:
    region = f.make_region()
    return Call(201, body={"code": "lon-1", "name": "London 1", "kind": "office", "region": region.pk,
                           "time_zone": "Europe/London", "clients": [w.client.pk]},
                then=exists(Site, code="lon-1", region=region))


crud("sites", lambda w: f.make_site(), patch={"name": "Renamed"}, delete=True)
example("GET", "/api/v1/sites/{site_id}/clock")(lambda w: Call(200, path={"site_id": w.site.pk}, query={"days_ahead": 30}))
example("GET", "/api/v1/sites/{site_id}/business-time")(lambda w: Call(
    200, path={"site_id": w.site.pk}, query={"start": "2026-12-24T16:00:00Z", "end": "2026-12-29T10:00:00Z"},
    then=lambda out: out["business_seconds"] > 0))
listed("site-requirements", lambda w: f.make_requirement(w.site))
example("POST", "/api/v1/site-requirements")(lambda w: Call(
    201, body={"site": w.site.pk, "kind": "induction", "description": "Site induction", "lead_time_hours": 24},
    then=exists(SiteRequirement, site=w.site)))
crud("site-requirements", lambda w: f.make_requirement(w.site), patch={"description": "Changed"}, delete=True)

# --- people -----------------------------------------------------------------------------------
listed("engineers", lambda w: f.make_engineer(w.site.region))
example("POST", "/api/v1/engineers")(lambda w: Call(
    201, body={"name": "Ann", "home_region": w.site.region.pk, "time_zone": "Europe/London"},
    then=exists(Engineer, name="Ann")))
crud("engineers", lambda w: f.make_engineer(), patch={"name": "Renamed"}, delete=True)
listed("skills", lambda w: Skill.objects.create(code="fibre", name="Fibre"))
example("POST", "/api/v1/skills")(lambda w: Call(201, body={"code": "copper", "name": "Copper"}, then=exists(Skill, code="copper")))
listed("certifications", lambda w: Certification.objects.create(code="cscs", name="CSCS"))
example("POST", "/api/v1/certifications")(lambda w: Call(
    201, body={"code": "ipaf", "name": "IPAF", "validity_months": 60}, then=exists(Certification, code="ipaf")))


@example("GET", "/api/v1/engineers/{engineer_id}/absences")
def _(w: World) -> Call:
    engineer = f.make_engineer()
    engineer.absences.create(start_at=dt.datetime(2030, 6, 3, tzinfo=dt.UTC), end_at=dt.datetime(2030, 6, 5, tzinfo=dt.UTC))
    return Call(200, path={"engineer_id": engineer.pk}, then=lambda out: len(out["items"] if isinstance(out, dict) else out) == 1)


@example("POST", "/api/v1/engineers/{engineer_id}/absences")
def _(w: World) -> Call:
    engineer = f.make_engineer()
    return Call(201, path={"engineer_id": engineer.pk},
                body={"start_at": "2030-06-03T00:00:00Z", "end_at": "2030-06-05T00:00:00Z", "reason": "Leave"},
                then=lambda out: engineer.absences.filter(pk=out["id"]).exists())


# --- services ---------------------------------------------------------------------------------
listed("services", lambda w: w.service)
example("POST", "/api/v1/services")(lambda w: Call(
    201, body={"client": w.client.pk, "code": "epr", "name": "EPR", "sites": [w.site.pk]}, then=exists(Service, code="epr")))
crud("services", lambda w: f.make_service(), patch={"name": "Renamed"}, delete=True)


@example("GET", "/api/v1/services/{service_id}/graph")
def _(w: World) -> Call:
    db = f.make_service(w.client)
    f.depend(w.service, db)
    return Call(200, path={"service_id": w.service.pk}, then=lambda out: [s["id"] for s in out["upstream"]] == [db.pk])


# --- changes ----------------------------------------------------------------------------------
def _change(w: World, **kw: Any) -> ChangeRequest:
    return ch.make_change(w.admin, services_=[w.service], **kw)


listed("changes", _change)


@example("POST", "/api/v1/changes")
def _(w: World) -> Call:
    return Call(201, body={"type": "normal", "title": "Patch EPR", "services": [w.service.pk],
                           "window_start": "2030-06-02T01:00:00Z", "window_end": "2030-06-02T03:00:00Z", **ch.plans()},
                then=exists(ChangeRequest, title="Patch EPR"))


example("GET", "/api/v1/changes/failure-rate")(lambda w: _with(_change(w), lambda _c: Call(200, query={"by": "service"})))
example("POST", "/api/v1/changes/{change_id}/transitions")(lambda w: _with(_change(w), lambda c: Call(
    200, path={"change_id": c.pk}, body={"to": "submitted", "reason": "ready"}, then=lambda out: out["state"] == "submitted")))
example("GET", "/api/v1/changes/{change_id}/approvals")(lambda w: _with(_change(w), lambda c: Call(200, path={"change_id": c.pk})))


@example("POST", "/api/v1/changes/{change_id}/approvals")
def _(w: World) -> Call:
    change = ch.submit(_change(w), w.admin)
    approver = f.make_user("change_approver")
    return Call(201, path={"change_id": change.pk}, user=approver,
                body={"capacity": "change_approver", "decision": "approved", "comment": "fine"},
                then=lambda out: change.approvals.filter(approver=approver).exists())


example("GET", "/api/v1/changes/{change_id}/collisions")(lambda w: _with(_change(w), lambda c: Call(200, path={"change_id": c.pk})))
example("GET", "/api/v1/changes/{change_id}/risk")(lambda w: _with(_change(w), lambda c: Call(200, path={"change_id": c.pk})))


@example("POST", "/api/v1/changes/{change_id}/review")
def _(w: World) -> Call:
    change = _change(w)
    ChangeRequest.objects.filter(pk=change.pk).update(state="completed")  # a review follows implementation
    return Call(200, path={"change_id": change.pk}, body={"outcome": "successful", "caused_incident": False, "lessons": "none"})


crud("changes", _change, patch={"title": "Renamed"}, delete=True)


def _window(w: World) -> ChangeWindow:
    return ChangeWindow.objects.create(kind="window", name="Sunday", site=w.site, rrule="FREQ=WEEKLY;BYDAY=SU",
                                       start_on=dt.date(2026, 1, 4), start_time=dt.time(1, 0), duration_minutes=240)


listed("change-windows", _window)
example("POST", "/api/v1/change-windows")(lambda w: Call(
    201, body={"kind": "window", "name": "Sunday maintenance", "site": w.site.pk, "rrule": "FREQ=WEEKLY;BYDAY=SU",
               "start": "2026-01-04T01:00", "duration_minutes": 240}, then=exists(ChangeWindow, site=w.site)))
crud("change-windows", _window, patch={"name": "Renamed"}, delete=True)


@example("GET", "/api/v1/calendars/changes.ics")
def _(w: World) -> Call:
    ch.submit(_change(w, sites=[w.site], start=clock.now() + dt.timedelta(days=7)), w.admin)  # planned, in 180 days
    token = f.make_token(w.admin, ["calendar"])
    return Call(200, user=ANONYMOUS, query={"token": token, "site": w.site.pk},
                then=lambda r: r.content.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" in r.content)


@example("GET", "/api/v1/calendars/windows.ics")
def _(w: World) -> Call:
    _window(w)
    token = f.make_token(w.admin, ["calendar"])
    return Call(200, user=ANONYMOUS, query={"token": token, "site": w.site.pk},
                then=lambda r: r.content.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" in r.content)


# --- work orders ------------------------------------------------------------------------------
def _work(w: World, state: str = "submitted", **kw: Any) -> tuple[dict[str, Any], WorkOrder]:
    world = wb.world()
    return world, wb.make(world, state, **kw)


def _on_site_ready(w: World) -> tuple[dict[str, Any], WorkOrder]:
    """A dispatched work order whose engineer may check in at the window's start."""
    from opsdesk.workorders import services as work_services

    world, wo = _work(w, "readiness")
    wb.arrange(world, wo)
    with clock.frozen(wb.NOW):
        work_services.assign(wo, world["engineer"], actor=world["dispatcher"])
        for to in ("ready", "scheduled", "dispatched"):
            wo = work_services.transition_work_order(wo, to, actor=world["dispatcher"], reason="go")
    return world, wo


listed("work-orders", lambda w: _work(w)[1])


@example("POST", "/api/v1/work-orders")
def _(w: World) -> Call:
    world = wb.world()
    body = {**wb.data(world), "window_start": wb.START.isoformat(), "window_end": wb.END.isoformat()}
    return Call(201, body=body, user=world["desk"], at=wb.NOW, then=exists(WorkOrder, title=body["title"]))


@example("GET", "/api/v1/my-work")
def _(w: World) -> Call:
    world, wo = _on_site_ready(w)
    return Call(200, user=world["engineer_user"], query={"day": "2030-06-04"},
                then=lambda out: [x["id"] for x in out] == [wo.pk])


@example("POST", "/api/v1/work-orders/{wo_id}/transitions")
def _(w: World) -> Call:
    world, wo = _work(w)
    return Call(200, path={"wo_id": wo.pk}, body={"to": "triage", "reason": "look"}, user=world["desk"], at=wb.NOW,
                then=lambda out: out["state"] == "triage")


example("GET", "/api/v1/work-orders/{wo_id}/readiness")(
    lambda w: _with(_work(w, "readiness"), lambda x: Call(200, path={"wo_id": x[1].pk}, user=x[0]["desk"], at=wb.NOW)))


@example("POST", "/api/v1/work-orders/{wo_id}/overrides")
def _(w: World) -> Call:
    world, wo = _work(w, "readiness")
    with clock.frozen(wb.NOW):
        blocker = Api(f.make_token(world["desk"])).get(f"work-orders/{wo.pk}/readiness").json()["blockers"][0]
    return Call(201, path={"wo_id": wo.pk}, body={"blocker": blocker["key"], "reason": "Phoned security"},
                user=world["dispatcher"], at=wb.NOW)


example("GET", "/api/v1/work-orders/{wo_id}/eligibility")(
    lambda w: _with(_work(w), lambda x: Call(200, path={"wo_id": x[1].pk}, user=x[0]["dispatcher"], at=wb.NOW)))


def _handoff(w: World) -> tuple[dict[str, Any], WorkOrder, Any]:
    from opsdesk.workorders import services as work_services

    world, wo = _work(w)
    with clock.frozen(wb.NOW):
        handoff = work_services.hand_off(wo, to_user=world["dispatcher"], to_team="Dispatch", done_so_far="Triage",
                                         next_step="Book", actor=world["desk"])
    return world, wo, handoff


example("GET", "/api/v1/work-orders/{wo_id}/handoffs")(
    lambda w: _with(_handoff(w), lambda x: Call(200, path={"wo_id": x[1].pk}, user=x[0]["desk"],
                                                then=lambda out: [h["id"] for h in out] == [x[2].pk])))


@example("POST", "/api/v1/work-orders/{wo_id}/handoffs")
def _(w: World) -> Call:
    world, wo = _work(w)
    return Call(201, path={"wo_id": wo.pk}, user=world["desk"], at=wb.NOW,
                body={"to_user": world["dispatcher"].pk, "to_team": "Dispatch", "done_so_far": "Triage", "next_step": "Book"},
                then=lambda out: wo.handoffs.filter(pk=out["id"]).exists())


example("POST", "/api/v1/work-orders/{wo_id}/handoffs/{handoff_id}/acknowledge")(
    lambda w: _with(_handoff(w), lambda x: Call(200, path={"wo_id": x[1].pk, "handoff_id": x[2].pk},
                                                user=x[0]["dispatcher"], at=wb.NOW,
                                                then=lambda out: out["acknowledged_at"] is not None)))


@example("GET", "/api/v1/work-orders/{wo_id}/comments")
def _(w: World) -> Call:
    from opsdesk.workorders import services as work_services

    world, wo = _work(w)
    work_services.add_comment(wo, "Called the site", visibility="internal", actor=world["desk"])
    return Call(200, path={"wo_id": wo.pk}, user=world["desk"], then=lambda out: out["count"] == 1)


example("POST", "/api/v1/work-orders/{wo_id}/comments")(
    lambda w: _with(_work(w), lambda x: Call(201, path={"wo_id": x[1].pk}, user=x[0]["desk"],
                                             body={"body": "Called the site", "visibility": "client"},
                                             then=lambda out: x[1].comments.filter(pk=out["id"]).exists())))
example("POST", "/api/v1/work-orders/{wo_id}/arrangements")(
    lambda w: _with(_work(w, "readiness"), lambda x: Call(
        200, path={"wo_id": x[1].pk}, user=x[0]["desk"], at=wb.NOW,
        body={"requirement": x[0]["access"].pk, "state": "submitted", "reference": "A1"})))


@example("PATCH", "/api/v1/work-orders/{wo_id}/parts/{part_id}")
def _(w: World) -> Call:
    world, wo = _work(w, parts=[{"part_number": "CAT6A-50", "quantity": 4}])
    part = wo.parts.get()
    return Call(200, path={"wo_id": wo.pk, "part_id": part.pk}, user=world["desk"], at=wb.NOW,
                body={"shipment": "ordered"}, then=lambda out: out["shipment"] == "ordered")


example("POST", "/api/v1/work-orders/{wo_id}/check-in")(
    lambda w: _with(_on_site_ready(w), lambda x: Call(200, path={"wo_id": x[1].pk}, body={}, user=x[0]["engineer_user"],
                                                      at=wb.START, then=lambda out: out["work_order"]["state"] == "on_site")))


@example("POST", "/api/v1/work-orders/{wo_id}/check-out")
def _(w: World) -> Call:
    from opsdesk.workorders import services as work_services

    world, wo = _on_site_ready(w)
    with clock.frozen(wb.START):
        work_services.check_in(wo, actor=world["engineer_user"])
    return Call(200, path={"wo_id": wo.pk}, user=world["engineer_user"], at=wb.END,
                body={"report": "Done and tested", "checklist": dict.fromkeys(wb.CHECKLIST, True)},
                then=lambda out: out["state"] == "completed")


crud("work-orders", lambda w: _work(w)[1], patch={"title": "Renamed"})

# --- dispatch ---------------------------------------------------------------------------------
def _plan(w: World, *, accepted: bool = False) -> tuple[dict[str, Any], Any]:
    from opsdesk.dispatch import services as dispatch_services

    world = db_.world()
    db_.ready(world, "Patch panel", "09:00", "12:00")
    with clock.frozen(db_.NOW):
        plan = dispatch_services.propose_plan(world["region"].code, db_.DAY, actor=world["dispatcher"], seconds=0.2)
    return world, plan


example("GET", "/api/v1/dispatch/plans")(lambda w: _with(_plan(w), lambda x: Call(
    200, user=x[0]["dispatcher"], then=lambda out: [p["id"] for p in out["items"]] == [x[1].pk])))
example("POST", "/api/v1/dispatch/plans")(lambda w: _with(
    (lambda world: (world, db_.ready(world, "Patch panel", "09:00", "12:00")))(db_.world()), lambda x: Call(
        201, user=x[0]["dispatcher"], at=db_.NOW, body={"region": x[0]["region"].code, "day": db_.DAY.isoformat(), "seconds": 0.2},
        then=lambda out: [s["work_order"] for r in out["routes"] for s in r["stops"]] == [x[1].pk])))
example("GET", "/api/v1/dispatch/plans/{plan_id}")(lambda w: _with(_plan(w), lambda x: Call(
    200, path={"plan_id": x[1].pk}, user=x[0]["dispatcher"])))


@example("POST", "/api/v1/dispatch/plans/{plan_id}/moves")
def _(w: World) -> Call:
    world, plan = _plan(w)
    stop = plan.stops.get()
    other = world["Bob"] if stop.engineer_id == world["Ann"].pk else world["Ann"]
    return Call(200, path={"plan_id": plan.pk}, user=world["dispatcher"], at=db_.NOW,
                body={"work_order": stop.work_order_id, "engineer": other.pk, "dry_run": True})


example("POST", "/api/v1/dispatch/plans/{plan_id}/accept")(lambda w: _with(_plan(w), lambda x: Call(
    200, path={"plan_id": x[1].pk}, user=x[0]["dispatcher"], at=db_.NOW, then=lambda out: out["state"] == "accepted")))

# --- alerts -----------------------------------------------------------------------------------
def _integration(w: World) -> Integration:
    return af.make_integration("alertmanager", client=w.client)[0]


def _alert(w: World) -> Alert:
    integration = pipeline.make_integration(w.client)
    pipeline.deliver(integration, pipeline.signal("disk-full"))
    pipeline.process()
    return Alert.objects.get(integration=integration)


listed("integrations", _integration)
example("POST", "/api/v1/integrations")(lambda w: Call(
    201, body={"name": "Prometheus", "kind": "alertmanager", "client": w.client.pk,
               "rules": [{"label": "service", "value": "epr", "service": w.service.pk}]},
    then=lambda out: Integration.objects.filter(pk=out["id"]).exists()
    and Api(None).post(f"/api/v1/integrations/alertmanager/{out['key']}", af.alertmanager()).status_code == 202))


@example("POST", "/api/v1/integrations/{integration_id}/rotate-key")
def _(w: World) -> Call:
    integration, old = af.make_integration("generic", client=w.client)
    return Call(200, path={"integration_id": integration.pk},
                then=lambda out: out["key"] != old and Integration.objects.get(pk=integration.pk).key_prefix == out["key_prefix"])


crud("integrations", _integration, patch={"name": "Renamed", "flap_threshold": 5}, delete=True)


# --- intake (plain views and the lean server, documented by alerts.intake.openapi) ------------
def _intake(kind: str, path: str, body: Callable[[str], Any], *, header: bool, stored: Callable[[Integration], bool],
            status: int = 202) -> None:
    def build(w: World) -> Call:
        integration, key = af.make_integration(kind, client=w.client, owner=w.admin)
        return Call(status, path={} if header else {"key": key}, body=body(key), user=ANONYMOUS,
                    headers={"HTTP_X_OPSDESK_KEY": key} if header else {}, then=lambda _out: stored(integration))

    example("POST", path)(build)


def _raw_stored(integration: Integration) -> bool:
    return RawEvent.objects.filter(integration=integration).exists()


def _change_stored(integration: Integration) -> bool:
    return ChangeEvent.objects.filter(integration=integration, change__state="completed").exists()


for _kind, _body in (("alertmanager", lambda k: af.alertmanager()), ("grafana", lambda k: af.grafana()),
                     ("generic", lambda k: {"key": "backup-db1", "summary": "Nightly backup failed"})):
    _intake(_kind, f"/api/v1/integrations/{_kind}", _body, header=True, stored=_raw_stored)
    _intake(_kind, f"/api/v1/integrations/{_kind}/{{key}}", _body, header=False, stored=_raw_stored)
_intake("events_v2", "/v2/enqueue", lambda k: af.event(k), header=True, stored=_raw_stored)
_CHANGE = {"summary": "Deploy billing v2.4.1", "source": "ci", "custom_details": {"service": "billing"},
           "links": [{"href": "https://ci.example.net/2", "text": "Build 2"}]}
_intake("events_v2", "/v2/change/enqueue", lambda k: {"routing_key": k, "payload": {
    k2: v for k2, v in _CHANGE.items() if k2 != "links"}, "links": _CHANGE["links"]}, header=True, stored=_change_stored)
_intake("generic", "/api/v1/integrations/change-events", lambda k: _CHANGE, header=True, stored=_change_stored)
_intake("generic", "/api/v1/integrations/change-events/{key}", lambda k: _CHANGE, header=False, stored=_change_stored)


def _change_event(w: World) -> ChangeEvent:
    from opsdesk.alerts.change_events import formats as change_event_formats
    from opsdesk.alerts.change_events import services as change_events

    integration, _key = af.make_integration("events_v2", client=w.client, owner=w.admin)
    reported = change_event_formats.check(_CHANGE, "", "digest-1")
    return change_events.record(integration, reported, clock.now())[0]


listed("change-events", _change_event)
def _heartbeat(w: World) -> Any:
    from opsdesk.alerts.heartbeats import services as heartbeats

    return heartbeats.create_heartbeat(_integration(w), {"name": "Nightly backup", "slug": "nightly"}, actor=w.admin)


listed("heartbeats", _heartbeat, state="new")
example("GET", "/api/v1/integrations/{integration_id}/heartbeats")(lambda w: _with(_heartbeat(w), lambda h: Call(
    200, path={"integration_id": h.integration_id}, then=lambda out: [i["id"] for i in out["items"]] == [h.pk])))
example("POST", "/api/v1/integrations/{integration_id}/heartbeats")(lambda w: _with(_integration(w), lambda i: Call(
    201, path={"integration_id": i.pk}, body={"name": "Cron", "slug": "cron", "interval_minutes": 60,
                                               "service": w.service.pk},
    then=lambda out: out["state"] == "new" and i.heartbeats.filter(pk=out["id"], service=w.service).exists())))
crud("heartbeats", _heartbeat, patch={"interval_minutes": 30, "name": "Renamed"}, delete=True)


def _ping(method: str) -> Example:
    def build(w: World) -> Call:
        integration, key = af.make_integration("generic", client=w.client)
        from opsdesk.alerts.heartbeats import services as heartbeats

        heartbeat = heartbeats.create_heartbeat(integration, {"name": "Cron", "slug": "cron"}, actor=w.admin)
        return Call(200, path={"slug": "cron"}, user=key,
                    then=lambda out: out["state"] == "up" and type(heartbeat).objects.get(pk=heartbeat.pk).pings == 1)

    return build


example("GET", "/api/v1/heartbeats/{slug}/ping")(_ping("GET"))
example("POST", "/api/v1/heartbeats/{slug}/ping")(_ping("POST"))
listed("alerts", _alert)
example("POST", "/api/v1/alerts/{alert_id}/acknowledge")(lambda w: _with(_alert(w), lambda a: Call(
    200, path={"alert_id": a.pk}, then=lambda out: out["status"] == "acknowledged")))
example("POST", "/api/v1/alerts/{alert_id}/resolve")(lambda w: _with(_alert(w), lambda a: Call(
    200, path={"alert_id": a.pk}, then=lambda out: out["status"] == "resolved")))
crud("alerts", _alert)

# --- incidents --------------------------------------------------------------------------------
def _incident(w: World, state: str = "triggered", **kw: Any) -> Incident:
    return inf.make_incident(services=[w.service], state=state, owner=w.admin, started_at=clock.now() - dt.timedelta(hours=1),
                             acknowledged_after=None, **kw)


listed("incidents", _incident)
example("POST", "/api/v1/incidents")(lambda w: Call(
    201, body={"title": "EPR down", "severity": "sev2", "services": [w.service.pk]}, then=exists(Incident, title="EPR down")))
example("GET", "/api/v1/incidents/{incident_id}")(lambda w: _with(_incident(w), lambda i: Call(200, path={"incident_id": i.pk})))
example("PATCH", "/api/v1/incidents/{incident_id}")(lambda w: _with(_incident(w), lambda i: Call(
    200, path={"incident_id": i.pk}, body={"title": "Renamed"}, then=lambda out: out["title"] == "Renamed")))
example("POST", "/api/v1/incidents/{incident_id}/transitions")(lambda w: _with(_incident(w), lambda i: Call(
    200, path={"incident_id": i.pk}, body={"to": "acknowledged", "reason": "on it"}, then=lambda out: out["state"] == "acknowledged")))


@example("POST", "/api/v1/incidents/{incident_id}/owner")
def _(w: World) -> Call:
    incident, commander = _incident(w), f.make_user("incident_commander")
    return Call(200, path={"incident_id": incident.pk}, body={"owner": commander.pk, "note": "shift change"},
                then=lambda out: Incident.objects.get(pk=incident.pk).owner_id == commander.pk)


def _role(w: World) -> tuple[Incident, Any]:
    from opsdesk.incidents import roles

    incident, comms = _incident(w), f.make_user("incident_commander")
    roles.assign_role(incident, "communications", comms.pk, actor=w.admin)
    return incident, comms


@example("POST", "/api/v1/incidents/{incident_id}/roles")
def _(w: World) -> Call:
    incident, comms = _incident(w), f.make_user("incident_commander")
    return Call(200, path={"incident_id": incident.pk}, body={"role": "communications", "user": comms.pk, "note": "please"},
                then=lambda out: out["acknowledged_at"] is None)


example("POST", "/api/v1/incidents/{incident_id}/roles/acknowledge")(lambda w: _with(_role(w), lambda x: Call(
    200, path={"incident_id": x[0].pk}, user=x[1], body={"role": "communications"},
    then=lambda out: out["acknowledged_at"] is not None)))


@example("GET", "/api/v1/incidents/{incident_id}/updates")
def _(w: World) -> Call:
    from opsdesk.incidents import updates

    incident = _incident(w)
    updates.post_update(incident, {"audience": "responders", "body": "p99 4 s"}, actor=w.admin)
    return Call(200, path={"incident_id": incident.pk}, then=lambda out: out["count"] == 1)


example("POST", "/api/v1/incidents/{incident_id}/updates")(lambda w: _with(_incident(w), lambda i: Call(
    201, path={"incident_id": i.pk}, body={"audience": "responders", "body": "p99 4 s on storage array B"},
    then=lambda out: i.updates.filter(pk=out["id"]).exists())))
example("POST", "/api/v1/incidents/{incident_id}/notes")(lambda w: _with(_incident(w), lambda i: Call(
    201, path={"incident_id": i.pk}, body={"text": "Tried restarting the pods"})))
@example("POST", "/api/v1/incidents/{incident_id}/change")
def _(w: World) -> Call:
    incident, change = _incident(w), _change(w)
    ChangeRequest.objects.filter(pk=change.pk).update(state="implementing")  # only these can cause an incident
    return Call(200, path={"incident_id": incident.pk}, body={"change": change.pk},
                then=lambda out: Incident.objects.filter(pk=incident.pk, change=change).exists())
crud("incidents", _incident, one=False, param="obj_id")


def _postmortem(w: World) -> Any:
    return lf.make_postmortem(_incident(w, state="resolved"))


listed("postmortems", _postmortem)
example("POST", "/api/v1/postmortems")(lambda w: _with(_incident(w, state="resolved"), lambda i: Call(
    201, body={"incident": i.pk}, then=lambda out: out["incident"] == i.pk)))
example("GET", "/api/v1/postmortems/{postmortem_id}")(lambda w: _with(_postmortem(w), lambda p: Call(200, path={"postmortem_id": p.pk})))
example("PATCH", "/api/v1/postmortems/{postmortem_id}")(lambda w: _with(_postmortem(w), lambda p: Call(
    200, path={"postmortem_id": p.pk}, body={"summary": "Pool exhausted"}, then=lambda out: out["summary"] == "Pool exhausted")))
example("POST", "/api/v1/postmortems/{postmortem_id}/transitions")(lambda w: _with(_postmortem(w), lambda p: Call(
    200, path={"postmortem_id": p.pk}, body={"to": "in_review", "reason": "written"})))
example("GET", "/api/v1/postmortems/{postmortem_id}/timeline")(lambda w: _with(_postmortem(w), lambda p: Call(200, path={"postmortem_id": p.pk})))


def _action(w: World) -> Any:
    return lf.make_action(_postmortem(w), due_on=dt.date(2030, 7, 1))


example("GET", "/api/v1/postmortems/{postmortem_id}/actions")(lambda w: _with(_action(w), lambda a: Call(
    200, path={"postmortem_id": a.postmortem_id}, then=lambda out: out["count"] == 1)))
example("POST", "/api/v1/postmortems/{postmortem_id}/actions")(lambda w: _with(_postmortem(w), lambda p: Call(
    201, path={"postmortem_id": p.pk}, body={"title": "Alert on pool use", "owner": w.admin.pk, "due_on": "2030-07-01"},
    then=lambda out: p.actions.filter(pk=out["id"]).exists())))
listed("actions", _action)
example("GET", "/api/v1/actions/{action_id}")(lambda w: _with(_action(w), lambda a: Call(200, path={"action_id": a.pk})))
example("PATCH", "/api/v1/actions/{action_id}")(lambda w: _with(_action(w), lambda a: Call(
    200, path={"action_id": a.pk}, body={"state": "done"}, then=lambda out: out["state"] == "done")))


def _problem(w: World) -> Problem:
    return Problem.objects.create(title="Pool exhausted", service=w.service, signature="PoolExhausted", state="open")


listed("problems", _problem)
example("POST", "/api/v1/problems/{problem_id}/incidents")(lambda w: _with((_problem(w), _incident(w)), lambda x: Call(
    200, path={"problem_id": x[0].pk}, body={"incident": x[1].pk}, then=lambda out: x[0].incidents.filter(pk=x[1].pk).exists())))
crud("problems", _problem, patch={"title": "Renamed", "known_error": "Pool too small"})

# --- SLAs and SLOs ----------------------------------------------------------------------------
example("GET", "/api/v1/work-orders/{wo_id}/sla")(lambda w: _with(_work(w), lambda x: Call(200, path={"wo_id": x[1].pk})))
example("GET", "/api/v1/incidents/{incident_id}/sla")(lambda w: _with(_incident(w), lambda i: Call(200, path={"incident_id": i.pk})))


def _policy(w: World) -> Any:
    from opsdesk.slas import services as sla_services

    return sla_services.create_policy({"name": "P1", "applies_to": "work_order", "level": "p1", "response_minutes": 30,
                                       "resolution_minutes": 480}, actor=w.admin)


listed("sla/policies", _policy)
example("POST", "/api/v1/sla/policies")(lambda w: Call(
    201, body={"name": "SEV1 24x7", "applies_to": "incident", "level": "sev1", "response_minutes": 15,
               "resolution_minutes": 240, "business_hours": False}, then=lambda out: out["name"] == "SEV1 24x7"))
example("GET", "/api/v1/sla/policies/{policy_id}")(lambda w: _with(_policy(w), lambda p: Call(200, path={"policy_id": p.pk})))
example("PATCH", "/api/v1/sla/policies/{policy_id}")(lambda w: _with(_policy(w), lambda p: Call(
    200, path={"policy_id": p.pk}, body={"resolution_minutes": 360}, then=lambda out: out["resolution_minutes"] == 360)))
example("GET", "/api/v1/sla/attainment")(lambda w: Call(200))


def _slo(w: World) -> tuple[Slo, str]:
    return slo_factories.make_slo(w.service)


listed("slos", lambda w: _slo(w)[0])
example("POST", "/api/v1/slos")(lambda w: Call(
    201, body={"service": w.service.pk, "name": "EPR availability", "kind": "availability", "objective": 0.999},
    then=lambda out: Slo.objects.filter(pk=out["id"]).exists()))
example("GET", "/api/v1/slos/downtime")(lambda w: _with(_slo(w), lambda _s: Call(200)))
example("GET", "/api/v1/slos/{slo_id}")(lambda w: _with(_slo(w), lambda x: Call(200, path={"slo_id": x[0].pk})))
example("PATCH", "/api/v1/slos/{slo_id}")(lambda w: _with(_slo(w), lambda x: Call(
    200, path={"slo_id": x[0].pk}, body={"objective": 0.99}, then=lambda out: out["objective"] == 0.99)))
example("POST", "/api/v1/slos/{slo_id}/rotate-key")(lambda w: _with(_slo(w), lambda x: Call(
    200, path={"slo_id": x[0].pk}, then=lambda out: out["key"] != x[1])))
example("GET", "/api/v1/slos/{slo_id}/budget-history")(lambda w: _with(_slo(w), lambda x: Call(
    200, path={"slo_id": x[0].pk}, query={"points": 4}, then=lambda out: len(out["points"]) == 4)))
example("GET", "/api/v1/slos/{obj_id}/timeline")(lambda w: _with(_slo(w), lambda x: Call(200, path={"obj_id": x[0].pk})))


@example("POST", "/api/v1/slis/{key}/measurements")
def _(w: World) -> Call:
    slo, key = _slo(w)
    start = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    buckets = [{**b, "start": b["start"].isoformat()} for b in slo_factories.minutes(start, 2, good=999)]
    return Call(202, path={"key": key}, user=ANONYMOUS, body={"buckets": buckets},
                then=lambda out: SliBucket.objects.filter(slo=slo).count() == 2)


def _check(w: World) -> SyntheticCheck:
    return SyntheticCheck.objects.create(service=w.service, name="Home page", url="https://example.com/health")


listed("synthetic-checks", _check)
example("POST", "/api/v1/synthetic-checks")(lambda w: Call(
    201, body={"service": w.service.pk, "name": "Home page", "url": "https://example.com/health"},
    then=exists(SyntheticCheck, name="Home page")))
example("GET", "/api/v1/synthetic-checks/{check_id}")(lambda w: _with(_check(w), lambda c: Call(200, path={"check_id": c.pk})))
example("PATCH", "/api/v1/synthetic-checks/{check_id}")(lambda w: _with(_check(w), lambda c: Call(
    200, path={"check_id": c.pk}, body={"interval_seconds": 120}, then=lambda out: out["interval_seconds"] == 120)))
example("GET", "/api/v1/synthetic-checks/{check_id}/results")(lambda w: _with(_check(w), lambda c: Call(200, path={"check_id": c.pk})))
example("GET", "/api/v1/synthetic-checks/{obj_id}/timeline")(lambda w: _with(_check(w), lambda c: Call(200, path={"obj_id": c.pk})))

# --- notifications ----------------------------------------------------------------------------
def _notification(w: World) -> Notification:
    return Notification.objects.create(user=w.admin, created_at=clock.now(), title="Handoff", body="You have a handoff", url="/work/1")


listed("notifications", _notification)
example("POST", "/api/v1/notifications/read")(lambda w: _with(_notification(w), lambda n: Call(
    200, body={"ids": [n.pk]}, then=lambda out: out["count"] == 1 and Notification.objects.get(pk=n.pk).read_at is not None)))


# --- audit log --------------------------------------------------------------------------------
def _audit_event(w: World) -> Any:
    from opsdesk.core.audit import record_audit

    return record_audit("token.created", actor=w.admin, address="127.0.0.1", target="token 1", after={"scopes": ["read"]})


listed("audit-events", _audit_event, action="token.")
# Prometheus' scrape, from loopback (OPSDESK_METRICS_ALLOW's default): no credentials needed.
example("GET", "/metrics")(lambda w: Call(200, user=ANONYMOUS, then=lambda r: b'opsdesk_task_queue_depth{queue="default"}' in r.content))


# --- email wording (core.mailtemplates) -------------------------------------------------------
def _client_wording(w: World) -> Any:
    from opsdesk.core.mailtemplates import services as wording

    return wording.set_override("notification", "client", subject="{{ title }} for {{ client_name }}",
                                client_id=w.client.pk, actor=w.admin)


MAIL_TEMPLATE = {"key": "notification", "audience": "client"}
example("GET", "/api/v1/mail-templates")(lambda w: Call(
    200, then=lambda out: out["count"] >= 4 and any(i["key"] == "paging.page" for i in out["items"])))
example("GET", "/api/v1/mail-templates/{key}/{audience}")(lambda w: _with(_client_wording(w), lambda t: Call(
    200, path=MAIL_TEMPLATE, then=lambda out: out["client_overrides"][0]["client"] == w.client.pk)))
example("PUT", "/api/v1/mail-templates/{key}/{audience}")(lambda w: Call(
    200, path={"key": "paging.page", "audience": "responders"}, body={"subject": "PAGE {{ incident_ref }}"},
    then=lambda out: out["override"]["subject"] == "PAGE {{ incident_ref }}"
    and out["override"]["body"] == out["default"]["body"]))
example("DELETE", "/api/v1/mail-templates/{key}/{audience}")(lambda w: _with(_client_wording(w), lambda t: Call(
    204, path=MAIL_TEMPLATE, query={"client": w.client.pk}, then=lambda _r: not type(t).objects.filter(pk=t.pk).exists())))
example("POST", "/api/v1/mail-templates/{key}/{audience}/preview")(lambda w: Call(
    200, path=MAIL_TEMPLATE, body={"body": "Hello {{ user_name }}"},
    then=lambda out: out == {"subject": "[opsdesk] Visit DC2 tomorrow", "body": "Hello Client reader"}))


# --- inbound ----------------------------------------------------------------------------------
def _inbound_message(w: World, **fields: Any) -> Any:
    from opsdesk.inbound import services as inbound

    raw = (b"From: Stranger <stranger@unknown.example>\r\nTo: desk@localhost\r\nSubject: Quote please\r\n"
           b"Message-ID: <contract-1@unknown.example>\r\n\r\nHow much for a survey?\r\n")
    message = inbound.store_message(raw, mail_from="stranger@unknown.example", rcpt_to=["desk@localhost"])
    if fields:
        type(message).objects.filter(pk=message.pk).update(**fields)
        message.refresh_from_db()
    return message


listed("inbound/messages", _inbound_message)
example("GET", "/api/v1/inbound/messages/{message_id}")(lambda w: _with(_inbound_message(w), lambda m: Call(
    200, path={"message_id": m.pk}, then=lambda out: out["subject"] == "Quote please" and out["text"].strip()
    == "How much for a survey?" and ["Subject", "Quote please"] in out["headers"])))
example("POST", "/api/v1/inbound/messages/{message_id}/retry")(lambda w: _with(
    _inbound_message(w, state="failed", error="RuntimeError: boom"), lambda m: Call(
        200, path={"message_id": m.pk}, then=lambda out: out["state"] == "processed"
        and out["outcome"] == "unknown_sender" and type(m).objects.get(pk=m.pk).error == "")))
# --- oncall -----------------------------------------------------------------------------------
def _schedule(w: World) -> Any:
    from tests.oncall.helpers import make_schedule

    return make_schedule(actor=w.admin, services=[w.service.pk], sites=[w.site.pk], client=w.client.pk)


def _override(w: World) -> Any:
    schedule = _schedule(w)
    from opsdesk.oncall import services as oncall_services

    return oncall_services.add_override(schedule, {"person": f.make_user("engineer").pk, "start": "2026-02-01T10:00:00Z",
                                                   "end": "2026-02-01T12:00:00Z"}, w.admin)


listed("oncall/schedules", _schedule)
example("POST", "/api/v1/oncall/schedules")(lambda w: Call(201, body={
    "name": "EPR 24x7", "time_zone": "Europe/London", "client": w.client.pk, "services": [w.service.pk],
    "layers": [{"name": "Primary", "rotation": "weekly", "handoff": "09:00", "start": "2026-01-05",
                "people": [f.make_user("engineer").pk], "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00",
                                                                          "end": "17:00"}]}]},
    then=lambda out: out["id"] and out["layers"][0]["handoff"] == "09:00"))
crud("oncall/schedules", _schedule, patch={"team": "EPR"}, delete=True, param="schedule_id")
example("GET", "/api/v1/oncall/schedules/{schedule_id}/overrides")(lambda w: _with(_override(w), lambda o: Call(
    200, path={"schedule_id": o.schedule_id}, then=lambda out: out[0]["id"] == o.pk)))
example("POST", "/api/v1/oncall/schedules/{schedule_id}/overrides")(lambda w: _with(_schedule(w), lambda s: Call(
    201, path={"schedule_id": s.pk}, body={"person": f.make_user("engineer").pk, "start": "2026-02-01T10:00:00Z",
                                          "end": "2026-02-01T12:00:00Z", "reason": "swap"},
    then=lambda out: out["reason"] == "swap")))
example("DELETE", "/api/v1/oncall/schedules/{schedule_id}/overrides/{override_id}")(lambda w: _with(
    _override(w), lambda o: Call(204, path={"schedule_id": o.schedule_id, "override_id": o.pk},
                                 then=lambda _r: not type(o).objects.filter(pk=o.pk).exists())))
example("GET", "/api/v1/oncall/schedules/{schedule_id}/on-call")(lambda w: _with(_schedule(w), lambda s: Call(
    200, path={"schedule_id": s.pk}, query={"at": "2026-02-01T12:00:00Z"}, then=lambda out: len(out["people"]) == 1)))
example("GET", "/api/v1/oncall/schedules/{schedule_id}/shifts")(lambda w: _with(_schedule(w), lambda s: Call(
    200, path={"schedule_id": s.pk}, query={"start": "2026-02-01T00:00:00Z", "end": "2026-02-08T00:00:00Z"},
    then=lambda out: len(out["shifts"]) == 8 and out["gaps"] == [])))
example("GET", "/api/v1/oncall/who")(lambda w: _with(_schedule(w), lambda s: Call(
    200, query={"service": w.service.pk}, then=lambda out: out["schedules"][0]["schedule"] == s.pk)))
example("GET", "/api/v1/oncall/schedules/{schedule_id}/shifts.ics")(lambda w: _with(_schedule(w), lambda s: Call(
    200, user=ANONYMOUS, path={"schedule_id": s.pk}, query={"token": f.make_token(w.admin, ["calendar"])},
    then=lambda r: r.content.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" in r.content)))
example("GET", "/api/v1/oncall/my-shifts.ics")(lambda w: _with(_schedule(w), lambda s: Call(
    200, user=ANONYMOUS, query={"token": f.make_token(next(iter(s.layers.get().members.all())).person, ["calendar"])},
    then=lambda r: b"BEGIN:VEVENT" in r.content)))
# --- channels ---------------------------------------------------------------------------------
def _endpoint(w: World) -> Any:
    from opsdesk.channels import services as channel_services

    return channel_services.create_endpoint({"name": "Ops hook", "url": "https://hooks.example.com/opsdesk"},
                                            actor=w.admin)[0]


def _delivery(w: World) -> Any:
    from opsdesk.channels import services as channel_services
    from opsdesk.channels.messages import Message

    endpoint = _endpoint(w)
    channel_services.publish("incident.opened", Message(event="incident.opened", title="INC-1 EPR down"))
    return endpoint.deliveries.get()


listed("webhooks", _endpoint)
example("POST", "/api/v1/webhooks")(lambda w: Call(
    201, body={"name": "Ops hook", "url": "https://hooks.example.com/x", "events": ["incident.opened"]},
    then=lambda out: out["secret"].startswith("whsec_") and out["events"] == ["incident.opened"]))
variant("slack_app", "POST", "/api/v1/webhooks")(lambda w: Call(
    201, body={"name": "Ops Slack", "kind": "slack_app", "slack_channel": "C0OPS"},
    then=lambda out: out["kind"] == "slack_app" and out["slack_channel"] == "C0OPS"
    and out["url"] == "https://slack.com/api" and out["secret"] == ""))
crud("webhooks", _endpoint, patch={"name": "Renamed hook", "failure_threshold": 5}, delete=True)
example("POST", "/api/v1/webhooks/{endpoint_id}/rotate-secret")(lambda w: _with(_endpoint(w), lambda e: Call(
    200, path={"endpoint_id": e.pk}, then=lambda out: out["secret"].startswith("whsec_"))))
example("POST", "/api/v1/webhooks/{endpoint_id}/test")(lambda w: _with(_endpoint(w), lambda e: Call(
    200, path={"endpoint_id": e.pk}, then=lambda out: out["event"] == "ping" and len(out["tries"]) == 1)))
example("POST", "/api/v1/webhooks/{endpoint_id}/enable")(lambda w: _with(_endpoint(w), lambda e: Call(
    200, path={"endpoint_id": e.pk}, then=lambda out: out["active"] is True)))
example("GET", "/api/v1/webhooks/{endpoint_id}/deliveries")(lambda w: _with(_delivery(w), lambda d: Call(
    200, path={"endpoint_id": d.endpoint_id}, then=lambda out: out["items"][0]["id"] == d.pk)))
example("POST", "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")(lambda w: _with(
    _delivery(w), lambda d: Call(200, path={"endpoint_id": d.endpoint_id, "delivery_id": d.pk},
                                 then=lambda out: out["attempts"] == 1 and out["message_id"] == d.message_id)))
# --- paging ---
def _paging_policy(w: World) -> Any:
    from opsdesk.paging import policies

    return policies.create_policy({"name": f"Policy {f.n()}", "steps": [
        {"target": "person", "ref": w.admin.pk, "wait_minutes": 5}, {"target": "roles", "roles": ["commander"]}]},
        actor=w.admin)


def _paging_escalating(w: World) -> Incident:
    from opsdesk.paging import services as paging

    _paging_policy(w).__class__.objects.update(is_default=True)
    incident = _incident(w)
    paging.start_escalation(incident)
    return incident


def _paging_method(w: World) -> Any:
    from opsdesk.paging import contacts

    return contacts.add_contact_method(w.admin, {"kind": "email", "address": "pager@example.test"})


listed("escalation-policies", _paging_policy)
example("POST", "/api/v1/escalation-policies")(lambda w: Call(201, body={
    "name": "Northgate EPR", "repeat": 1, "services": [w.service.pk], "severity_rules": {"sev3": "page"},
    "steps": [{"target": "person", "ref": w.admin.pk, "wait_minutes": 5}, {"target": "team", "team": "EPR"}]},
    then=lambda out: len(out["steps"]) == 2 and out["severity_rules"]["sev3"] == "page"))
example("GET", "/api/v1/escalation-policies/{policy_id}")(lambda w: _with(_paging_policy(w), lambda p: Call(
    200, path={"policy_id": p.pk}, then=lambda out: out["id"] == p.pk)))
example("PATCH", "/api/v1/escalation-policies/{policy_id}")(lambda w: _with(_paging_policy(w), lambda p: Call(
    200, path={"policy_id": p.pk}, body={"repeat": 2, "steps": [{"target": "roles", "roles": ["operations"]}]},
    then=lambda out: out["repeat"] == 2 and [s["roles"] for s in out["steps"]] == [["operations"]])))
example("DELETE", "/api/v1/escalation-policies/{policy_id}")(lambda w: _with(_paging_policy(w), lambda p: Call(
    204, path={"policy_id": p.pk}, then=lambda _r: not type(p).objects.filter(pk=p.pk).exists())))
example("GET", "/api/v1/incidents/{incident_id}/escalation")(lambda w: _with(_paging_escalating(w), lambda i: Call(
    200, path={"incident_id": i.pk}, then=lambda out: out["state"] == "active" and out["steps"][0]["state"] == "due")))
example("POST", "/api/v1/incidents/{incident_id}/escalation/escalate")(lambda w: _with(_paging_escalating(w), lambda i: Call(
    200, path={"incident_id": i.pk}, then=lambda out: out["steps"][0]["state"] == "done")))
example("POST", "/api/v1/incidents/{incident_id}/escalation/acknowledge")(lambda w: _with(_paging_escalating(w), lambda i: Call(
    200, path={"incident_id": i.pk}, then=lambda out: out["state"] == "acknowledged")))
listed("paging/contact-methods", _paging_method)
example("POST", "/api/v1/paging/contact-methods")(lambda w: Call(
    201, body={"kind": "email", "address": "me@example.test", "label": "work"}, then=lambda out: out["address"] == "me@example.test"))
example("DELETE", "/api/v1/paging/contact-methods/{method_id}")(lambda w: _with(_paging_method(w), lambda m: Call(
    204, path={"method_id": m.pk}, then=lambda _r: not type(m).objects.filter(pk=m.pk).exists())))


def _paging_rule(w: World) -> Any:
    from opsdesk.paging import contacts

    return contacts.add_rule(w.admin, {"urgency": "high", "contact_method": _paging_method(w).pk, "delay_minutes": 2})


listed("paging/notification-rules", _paging_rule)
example("POST", "/api/v1/paging/notification-rules")(lambda w: _with(_paging_method(w), lambda m: Call(
    201, body={"urgency": "low", "contact_method": m.pk, "delay_minutes": 0}, then=lambda out: out["urgency"] == "low")))
example("DELETE", "/api/v1/paging/notification-rules/{rule_id}")(lambda w: _with(_paging_rule(w), lambda r: Call(
    204, path={"rule_id": r.pk}, then=lambda _r: not type(r).objects.filter(pk=r.pk).exists())))
example("GET", "/api/v1/paging/profile")(lambda w: Call(200, then=lambda out: out["time_zone"] == "UTC"))
example("PUT", "/api/v1/paging/profile")(lambda w: Call(
    200, body={"time_zone": "Europe/London", "quiet_start": "22:00", "quiet_end": "07:00"},
    then=lambda out: out["quiet_start"] == "22:00"))


# --- the suite --------------------------------------------------------------------------------
def _document() -> dict[str, Any]:
    import opsdesk.urls  # noqa: F401  (attaches the routers)
    from opsdesk.core.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


DOCUMENT = _document()
OPERATIONS = [(method.upper(), path) for path, ops in DOCUMENT["paths"].items() for method in ops
              if method in ("get", "post", "put", "patch", "delete")]


def test_the_document_has_the_operations_and_every_example_names_one():
    assert len(OPERATIONS) >= 160
    stale = sorted(set(EXAMPLES) - set(OPERATIONS))
    assert not stale, f"contract examples for operations the document does not have: {stale}"


def _url(path: str, params: dict[str, Any]) -> str:
    for name, value in params.items():
        path = path.replace(f"{{{name}}}", str(value))
    assert "{" not in path, f"path parameters missing in {path}"
    return path


def _validate(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> None:
    root = {**schema, "components": doc.get("components", {})}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    assert not errors, f"{where}: the answer does not match its documented schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.path)) or '(root)'}: {e.message[:300]}" for e in errors[:10])


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_as_documented(method: str, path: str) -> None:
    build = EXAMPLES.get((method, path))
    assert build is not None, f"add a contract example for {method} {path} (tests/api/test_contract.py)"
    _run_example(method, path, build)


@pytest.mark.parametrize(("case", "method", "path", "build"), VARIANTS, ids=[f"{m} {p} {c}" for c, m, p, _b in VARIANTS])
def test_operation_variant_answers_as_documented(case: str, method: str, path: str, build: Example) -> None:
    assert (method, path) in OPERATIONS, f"variant {case} of an operation the document does not have"
    _run_example(method, path, build)


def _run_example(method: str, path: str, build: Example) -> None:
    """Call the example's request and validate the answer against the document."""
    w = World()
    call = build(w)
    operation = DOCUMENT["paths"][path][method.lower()]
    documented = operation["responses"]
    assert 200 <= call.status < 300 and str(call.status) in documented, (
        f"{method} {path}: the example expects {call.status}; the document has {sorted(documented)}")
    if isinstance(call.user, str):  # a key the sender presents as its bearer token
        api = Api(call.user)
    else:
        api = Api(None) if call.user is ANONYMOUS else Api(f.make_token(call.user or w.admin))
    url = _url(path, call.path)
    if call.query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(call.query)}"
    def frozen() -> Any:
        return clock.frozen(call.at) if call.at is not None else contextlib.nullcontext()

    with frozen():
        response = api._call(method.lower(), url, call.body, **call.headers)
    where = f"{method} {url}"
    assert response.status_code == call.status, f"{where} -> {response.status_code}: {response.content[:600]!r}"
    content = documented[str(call.status)].get("content")
    if not content:
        assert response.content in (b"", b"null"), f"{where}: documents no content but answered {response.content[:200]!r}"
        answer: Any = response
    else:
        media_type, spec = next(iter(content.items()))
        got = response.headers.get("Content-Type", "")
        assert got.split(";")[0].strip() == media_type, f"{where}: Content-Type {got!r}, documented {media_type!r}"
        if media_type == "application/json":
            answer = json.loads(response.content)
            _validate(DOCUMENT, spec.get("schema", {}), answer, where)
        else:
            answer = response
    if call.then is not None:
        with frozen():
            assert call.then(answer), f"{where}: the answer validates, but its side effect is not there"
