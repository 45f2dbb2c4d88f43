"""Builders for work-order service, API, handoff and state-machine tests (real rows, real services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.core import clock
from opsdesk.workorders import services
from opsdesk.workorders.models import CategoryPolicy, WorkOrder
from tests import factories as f

UTC = dt.UTC
H = dt.timedelta(hours=1)
# Frozen "now": Mon 20 May 2030 09:00 UTC. The window: Tue 4 Jun 2030 10:00-12:00 London (BST).
NOW = dt.datetime(2030, 5, 20, 9, tzinfo=UTC)
START = dt.datetime(2030, 6, 4, 9, tzinfo=UTC)
END = START + 2 * H
CHECKLIST = ["Cables run as on the schedule", "Both ends labelled"]


def world() -> dict[str, Any]:
    """A London site of one client with a 72 h access request rule, an eligible engineer with a login,
    a service desk agent, a dispatcher, a client user, and a cabling checklist."""
    region = f.make_region()
    client = f.make_client(name="Alpha Health")
    site = f.make_site(code="lon-a", region=region, clients=[client])
    access = f.make_requirement(site, kind="access_request", description="Access request 72 hours ahead", lead_time_hours=72)
    service = f.make_service(client, sites=[site])
    desk = f.make_user("service_desk", first_name="Priya", last_name="Shah")
    dispatcher = f.make_user("dispatcher")
    client_user = f.make_user("client", client=client)
    engineer_user = f.make_user("engineer")
    engineer = f.make_engineer(region, user=engineer_user)
    f.give_access(engineer, site)
    f.clear_category_rules()
    CategoryPolicy.objects.create(category="cabling", checklist=CHECKLIST)
    return {
        "region": region, "client": client, "site": site, "access": access, "service": service, "desk": desk,
        "dispatcher": dispatcher, "client_user": client_user, "engineer": engineer, "engineer_user": engineer_user,
    }


def data(w: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Input for create_work_order."""
    base = {
        "client": w["client"].pk, "site": w["site"].pk, "services": [w["service"].pk], "category": "cabling",
        "title": "Run four Cat6A links", "window_start": START, "window_end": END,
    }
    base.update(kw)
    return base


def make(w: dict[str, Any], state: str = "submitted", **kw: Any) -> WorkOrder:
    """A work order created by the desk and moved (without the gate's states) towards `state`."""
    with clock.frozen(NOW):
        wo = services.create_work_order(data(w, **kw), actor=w["desk"])
        for to in ("triage", "readiness"):
            if wo.state == state:
                break
            wo = services.transition_work_order(wo, to, actor=w["desk"], reason="next")
    return wo


def arrange(w: dict[str, Any], wo: WorkOrder, state: str = "approved") -> None:
    """Record the access request arrangement."""
    with clock.frozen(NOW):
        services.record_arrangement(wo, w["access"].pk, state=state, reference="SEC-1", actor=w["desk"])
