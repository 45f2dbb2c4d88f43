"""Demo SLA policies: defaults per priority and severity, and a stricter contract for the hospital
client, created through slas.services like an administrator would."""

from __future__ import annotations

from opsdesk.accounts.models import User
from opsdesk.core import clock
from opsdesk.slas import bulk, recompute, services
from opsdesk.slas.targets import INCIDENT

from .context import DemoContext, demo_now

# level -> (response, on-site, resolution) in minutes, business hours?
WORK_ORDER_DEFAULTS = {
    "p1": (30, 240, 480, False),
    "p2": (60, 480, 1440, True),
    "p3": (240, 1440, 2400, True),
    "p4": (480, 4800, 9600, True),
}
# Planned work (installs, cabling, audits, ...) is booked into an agreed window, often weeks out:
# no on-site target, and resolution within a few weeks of business time. Reactive work (break-fix,
# remote hands) runs on the tight targets above.
PLANNED = {"p1": (60, 4800), "p2": (120, 9000), "p3": (480, 18000), "p4": (960, 27000)}
REACTIVE = ("break_fix", "remote_hands")
HOSPITAL = {"p1": (15, 120, 240, False), "p2": (30, 240, 480, False)}  # Northgate Health: 24x7, tighter
INCIDENT_DEFAULTS = {"sev1": (15, 240, False), "sev2": (30, 480, False), "sev3": (240, 2880, True),
                     "sev4": (480, 9600, True)}


def build_policies(ctx: DemoContext) -> None:
    admin = User.objects.get(username="admin")
    northgate = ctx.client_for(0, "northgate")
    for level, (response, onsite, resolution, business) in WORK_ORDER_DEFAULTS.items():
        for category in REACTIVE:
            services.create_policy({"name": f"Standard {level.upper()} {category.replace('_', '-')}",
                                    "applies_to": "work_order", "level": level, "category": category,
                                    "response_minutes": response, "onsite_minutes": onsite,
                                    "resolution_minutes": resolution, "business_hours": business}, actor=admin)
        response, resolution = PLANNED[level]
        services.create_policy({"name": f"Planned work {level.upper()}", "applies_to": "work_order", "level": level,
                                "response_minutes": response, "resolution_minutes": resolution,
                                "business_hours": True}, actor=admin)
    for level, (response, onsite, resolution, business) in HOSPITAL.items():
        services.create_policy({"name": f"{northgate.name} {level.upper()} (clinical)", "applies_to": "work_order",
                                "client": northgate.pk, "level": level, "response_minutes": response,
                                "onsite_minutes": onsite, "resolution_minutes": resolution,
                                "business_hours": business}, actor=admin)
    for level, (response, resolution, business) in INCIDENT_DEFAULTS.items():
        services.create_policy({"name": f"Incident {level.upper()}", "applies_to": "incident", "level": level,
                                "response_minutes": response, "resolution_minutes": resolution,
                                "business_hours": business}, actor=admin)


def build_clocks(ctx: DemoContext) -> None:
    """Store every work order's and open incident's SLA clocks (the bulk path: the volume is
    loaded without per-object events), so lists, notices and the attainment report have them.
    Computed at the demo's "now" (its today at the current time of day), as its stories are told."""
    with clock.frozen(demo_now(ctx)):
        bulk.recompute_all(now=clock.now())
        recompute.recompute_open(INCIDENT)
