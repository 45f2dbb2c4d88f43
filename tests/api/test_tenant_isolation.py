"""A client user never sees another client's data, on any endpoint (probed from the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from opsdesk.accounts.models import ApiToken
from opsdesk.changes import services as change_services
from opsdesk.changes.models import ChangeRequest
from opsdesk.changes.windows.models import ChangeWindow
from opsdesk.workorders import services as work_services
from opsdesk.workorders.models import WorkOrder
from tests import factories as f

pytestmark = pytest.mark.django_db

PUBLIC_COLLECTIONS = {"regions", "skills", "certifications"}
# Authenticated by a key in the path, not by the user (tests/slos/test_api.py, and for the alert
# and change-event intake tests/alerts/test_intake.py and test_change_events.py, cover them).
KEY_COLLECTIONS = {"slis", "integrations/alertmanager", "integrations/grafana", "integrations/generic",
                   "integrations/change-events"}


@pytest.fixture
def world(api_for):
    """Client A's user looks at client B's objects."""
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    region = f.make_region()
    site_a = f.make_site(region=region, clients=[a])
    site_b = f.make_site(region=region, clients=[b])
    req_b = f.make_requirement(site_b)
    svc_a = f.make_service(a, sites=[site_a])
    svc_b = f.make_service(b, sites=[site_b])
    user_a = f.make_user("client", client=a)
    user_b = f.make_user("client", client=b)
    f.make_token(user_b)
    engineer = f.make_engineer(region)
    f.give_access(engineer, site_b)
    change_b = _change_for(svc_b, site_b)
    window_b = ChangeWindow.objects.create(
        kind="freeze", name="Beta year end", site=site_b, start_on=dt.date(2030, 12, 15),
        start_time=dt.time(0, 0), duration_minutes=21 * 24 * 60,
    )
    targets = {
        "clients": b.pk,
        "sites": site_b.pk,
        "site-requirements": req_b.pk,
        "services": svc_b.pk,
        "users": user_b.pk,
        "engineers": engineer.pk,
        "tokens": ApiToken.objects.get(user=user_b).pk,
        "regions": region.pk,
        "changes": change_b.pk,
        "change-windows": window_b.pk,
        "work-orders": _work_order_for(b, site_b, svc_b).pk,
        **_learning_for(svc_b),
        **_alerting_for(b, svc_b),
        **_slos_for(svc_b),
    }
    targets["dispatch/plans"] = _plan_for(region, targets["work-orders"], engineer)
    targets["sla/policies"] = _sla_policy_for(b)
    targets["inbound/messages"] = _inbound_message()
    targets["oncall/schedules"] = _oncall_for(b)
    targets["webhooks"] = _webhook_for(b)
    targets.update(_paging_for(b))
    targets["mail-templates"] = _mail_wording_for(b)
    return {"api": api_for(user_a), "targets": targets, "own": {"sites": site_a.pk, "services": svc_a.pk,
            "clients": a.pk}, "b": b, "site_b": site_b, "svc_b": svc_b}


def _oncall_for(client):
    from tests.oncall.helpers import make_schedule

    return make_schedule(client=client.pk).pk


def _change_for(service, site):
    """A submitted change affecting client B only (staff-made, through the real service)."""
    start = dt.datetime(2030, 6, 2, 1, 0, tzinfo=dt.UTC)
    change = change_services.create_change(
        {"title": "Beta patch", "services": [service.pk], "sites": [site.pk], "window_start": start,
         "window_end": start + dt.timedelta(hours=2), "implementation_plan": "x", "verification_plan": "y",
         "rollback_plan": {"steps": "s", "trigger": "t", "duration_minutes": 10}},
        actor=f.make_user("service_desk", password=None),
    )
    return change_services.transition_change(change, "submitted", actor=change.owner)


def _work_order_for(client, site, service):
    """A submitted work order of client B, with a comment and a handoff (staff-made, through the services)."""
    desk = f.make_user("service_desk", password=None)
    start = dt.datetime(2030, 6, 3, 9, 0, tzinfo=dt.UTC)
    wo = work_services.create_work_order(
        {"client": client.pk, "site": site.pk, "services": [service.pk], "category": "cabling", "title": "Beta links",
         "window_start": start, "window_end": start + dt.timedelta(hours=2)},
        actor=desk,
    )
    work_services.add_comment(wo, "Beta internal", visibility="internal", actor=desk)
    work_services.hand_off(wo, to_user=f.make_user("dispatcher", password=None), next_step="book", actor=desk)
    return wo


def _inbound_message():
    """A message received by `opsdesk mail` (staff only: the desk's mailbox)."""
    from opsdesk.inbound import services as inbound

    raw = b"From: beta@beta.example\r\nTo: desk@localhost\r\nSubject: Beta request\r\n\r\nPlease.\r\n"
    return inbound.store_message(raw, mail_from="beta@beta.example", rcpt_to=["desk@localhost"]).pk
def _webhook_for(client):
    """A channel endpoint of client B's own (channels)."""
    from opsdesk.channels import services as channel_services

    return channel_services.create_endpoint({"name": "Beta hook", "url": "https://hooks.example.com/beta",
                                             "client": client.pk}, actor=f.make_user("admin", password=None))[0].pk


def _mail_wording_for(client):
    """Client B's own wording of its users' notification emails (staff-only configuration); the
    probe puts this key in every path parameter: {key} and {audience} alike."""
    from opsdesk.core.mailtemplates import services as wording

    wording.set_override("notification", "client", subject="Beta: {{ title }}", client_id=client.pk,
                         actor=f.make_user("admin", password=None))
    return "notification"


def _sla_policy_for(client):
    """An SLA policy of client B's own."""
    from opsdesk.slas.models import SlaPolicy

    return SlaPolicy.objects.create(name="Beta P1", applies_to="work_order", client=client, level="p1",
                                    response_minutes=15, resolution_minutes=240).pk


def _plan_for(region, work_order_id, engineer):
    """A proposed dispatch plan (staff only) visiting client B's work order."""
    from opsdesk.dispatch.models import Plan, PlanStop

    start = dt.datetime(2030, 6, 3, 9, 0, tzinfo=dt.UTC)
    plan = Plan.objects.create(region=region, day=start.date(), origin_at=start.replace(hour=0),
                               engineers=[{"engineer": engineer.pk, "name": engineer.name}])
    PlanStop.objects.create(plan=plan, engineer=engineer, work_order_id=work_order_id, position=0, arrival_at=start,
                            start_at=start, finish_at=start + dt.timedelta(hours=1))
    return plan.pk


def _learning_for(service):
    """A published postmortem with an action item, and an accepted problem, of client B's incident."""
    from opsdesk.learning.models import Problem
    from tests.incidents.factories import make_incident
    from tests.learning.factories import make_action, make_postmortem

    incident = make_incident(services=[service], signature="Beta down")
    pm = make_postmortem(incident, state="published")
    problem = Problem.objects.create(title="Beta recurring", service=service, signature="Beta down", state="open")
    problem.clients.set([service.client])
    incident.problem = problem
    incident.save(update_fields=["problem"])
    return {"postmortems": pm.pk, "actions": make_action(pm, due_on=dt.date(2030, 1, 1)).pk, "problems": problem.pk}


def _alerting_for(client, service):
    """An integration of client B, an alert it sent and the open incident the alert opened."""
    from opsdesk.alerts.models import Alert
    from opsdesk.incidents.models import Incident
    from tests.alerts.pipeline import deliver, make_integration, process, signal

    f.make_user("incident_commander", password=None)
    integration = make_integration(client, default_service=service)
    deliver(integration, signal("beta-down", summary="Beta checkout down"))
    process()
    alert = Alert.objects.get(integration=integration)
    from opsdesk.alerts.change_events import formats as change_event_formats
    from opsdesk.alerts.change_events import services as change_events
    from opsdesk.alerts.heartbeats import services as heartbeats
    from opsdesk.core import clock

    reported = change_event_formats.check({"summary": "Beta deploy", "source": "beta-ci"}, "", "beta-deploy")
    event = change_events.record(integration, reported, clock.now())[0]
    heartbeat = heartbeats.create_heartbeat(integration, {"name": "Beta backup", "slug": "beta-backup"}, actor=None)
    return {"integrations": integration.pk, "alerts": alert.pk, "incidents": Incident.objects.get(pk=alert.incident_id).pk,
            "change-events": event.pk, "heartbeats": heartbeat.pk}


def _slos_for(service):
    """An SLO of client B's service and a synthetic check counting into it."""
    from opsdesk.slos import services as slo_services

    slo, _key = slo_services.create_slo({"service": service.pk, "name": "Beta availability", "kind": "availability",
                                         "objective": 0.999}, actor=None)
    check = slo_services.create_check({"service": service.pk, "name": "Beta home", "url": "http://beta.example/",
                                       "availability_slo": slo.pk}, actor=None)
    return {"slos": slo.pk, "synthetic-checks": check.pk}


def _paging_for(client):
    """Client B's escalation policy, and a staff member's contact method and notification rule."""
    from opsdesk.paging import contacts, policies

    policy = policies.create_policy({"name": "Beta paging", "client": client.pk}, actor=None)
    person = f.make_user("engineer", password=None)
    method = contacts.add_contact_method(person, {"kind": "email"})
    rule = contacts.add_rule(person, {"urgency": "high", "contact_method": method.pk})
    return {"escalation-policies": policy.pk, "paging/contact-methods": method.pk, "paging/notification-rules": rule.pk}


def _object_paths(api) -> list[tuple[str, str, str]]:
    doc = json.loads(api.get("/api/v1/openapi.json").content)
    found = []
    for path, ops in doc["paths"].items():
        m = re.match(r"^/api/v1/([a-z-]+(?:/[a-z-]+)?)/\{[a-z_]+\}(/.*)?$", path)
        if m:
            for method in ops:
                found.append((method, path, m.group(1)))
    return found


def test_every_object_endpoint_answers_404_for_another_clients_object(world):
    api = world["api"]
    paths = _object_paths(api)
    assert len(paths) >= 20
    probed = 0
    for method, path, collection in paths:
        if collection in PUBLIC_COLLECTIONS or collection in KEY_COLLECTIONS:
            continue
        assert collection in world["targets"], f"add {collection} to the isolation probe"
        url = re.sub(r"\{[a-z_]+\}", str(world["targets"][collection]), path)
        r = getattr(api, method)(url) if method in ("get", "delete") else getattr(api, method)(url, {})
        assert r.status_code == 404, f"{method.upper()} {url} -> {r.status_code} {r.content[:200]!r}"
        assert r["Content-Type"] == "application/problem+json"
        probed += 1
    assert probed >= 15


def test_nothing_changed_after_the_probe(world):
    test_every_object_endpoint_answers_404_for_another_clients_object(world)
    world["site_b"].refresh_from_db()
    world["svc_b"].refresh_from_db()
    assert world["b"].__class__.objects.filter(pk=world["b"].pk).exists()
    change = ChangeRequest.objects.get(pk=world["targets"]["changes"])
    assert (change.state, change.approvals.count()) == ("submitted", 0)
    wo = WorkOrder.objects.get(pk=world["targets"]["work-orders"])
    assert (wo.state, wo.comments.count(), wo.handoffs.count(), wo.overrides.count()) == ("submitted", 1, 1, 0)
    assert wo.handoffs.get().acknowledged_at is None
    from opsdesk.learning.models import ActionItem, Postmortem, Problem

    assert Postmortem.objects.get(pk=world["targets"]["postmortems"]).state == "published"
    assert ActionItem.objects.get(pk=world["targets"]["actions"]).state == "open"
    problem = Problem.objects.get(pk=world["targets"]["problems"])
    assert (problem.state, problem.incidents.count(), problem.known_error) == ("open", 1, "")
    from opsdesk.alerts.models import Alert, Integration
    from opsdesk.incidents.models import Incident

    incident = Incident.objects.get(pk=world["targets"]["incidents"])
    assert (incident.state, incident.updates.count(), incident.roles.count()) == ("triggered", 0, 0)
    assert Alert.objects.get(pk=world["targets"]["alerts"]).status == "firing"
    integration = Integration.objects.get(pk=world["targets"]["integrations"])
    assert integration.active and integration.rules.count() == 0
    from opsdesk.alerts.heartbeats.models import Heartbeat

    heartbeat = Heartbeat.objects.get(pk=world["targets"]["heartbeats"])
    assert (heartbeat.name, heartbeat.state, heartbeat.pings) == ("Beta backup", "new", 0)
    from opsdesk.slos.models import Slo, SyntheticCheck

    slo = Slo.objects.get(pk=world["targets"]["slos"])
    assert (slo.name, slo.objective, slo.active) == ("Beta availability", 0.999, True)
    from opsdesk.core.models import Activity

    assert not Activity.objects.filter(verb__in=["key_rotated", "updated"], object_id=slo.pk,
                                       content_type__model="slo").exists()
    assert SyntheticCheck.objects.get(pk=world["targets"]["synthetic-checks"]).name == "Beta home"
    from opsdesk.core.models import MailTemplate

    assert list(MailTemplate.objects.values_list("subject", flat=True)) == ["Beta: {{ title }}"]


def test_lists_hold_only_the_clients_own_objects(world):
    api = world["api"]
    targets = world["targets"]
    for collection in ("clients", "sites", "site-requirements", "services", "users", "engineers", "changes", "work-orders",
                       "incidents", "alerts", "integrations", "slos", "synthetic-checks", "change-events",
                       "heartbeats"):
        ids = {item["id"] for item in api.get(collection, limit=500).json()["items"]}
        assert targets[collection] not in ids, collection
    assert {s["id"] for s in api.get("sites").json()["items"]} == {world["own"]["sites"]}
    assert {s["id"] for s in api.get("clients").json()["items"]} == {world["own"]["clients"]}
    assert api.get("engineers").json()["count"] == 0
    assert api.get("sites", client=world["b"].pk).json()["count"] == 0


def test_client_user_reads_own_objects(world):
    api = world["api"]
    assert api.get(f"sites/{world['own']['sites']}").status_code == 200
    graph = api.get(f"services/{world['own']['services']}/graph")
    assert graph.status_code == 200


def test_client_user_cannot_write(world):
    api = world["api"]
    assert api.post("clients", {"code": "z", "name": "Z"}).status_code == 403
    assert api.patch(f"sites/{world['own']['sites']}", {"name": "mine now"}).status_code == 403


def test_graph_hides_other_clients_services(api_for):
    a, b = f.make_client(), f.make_client()
    shared_b = f.make_service(b)
    svc_a = f.make_service(a)
    f.depend(svc_a, shared_b)
    api = api_for(f.make_user("client", client=a))
    graph = api.get(f"services/{svc_a.pk}/graph").json()
    assert graph["upstream"] == []
