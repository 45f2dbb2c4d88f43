"""A small region for dispatch tests: two London sites, three engineers, ready work on Tue 4 Jun 2030."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.core import clock
from opsdesk.people.models import Skill
from opsdesk.workorders import services
from opsdesk.workorders.models import WorkOrder
from tests import factories as f

UTC = dt.UTC
NOW = dt.datetime(2030, 5, 20, 9, tzinfo=UTC)
DAY = dt.date(2030, 6, 4)  # a Tuesday; London is on BST (UTC+1)
WEEKDAYS = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(hhmm: str) -> dt.datetime:
    """A London time on DAY, in UTC."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2030, 6, 4, tzinfo=UTC) + dt.timedelta(hours=h - 1, minutes=m)


def world() -> dict[str, Any]:
    """Region with two sites (one allows work 10:00-14:00 only), three engineers (Ann and Bob fibre,
    Cy copper only), a dispatcher, a desk agent and a client user."""
    region = f.make_region(travel_speed_kmh=40)
    client = f.make_client(name="Alpha Health")
    other = f.make_client(name="Beta Bank")
    north = f.make_site(code="lon-n", name="London North", region=region, clients=[client, other], latitude=51.55, longitude=-0.10)
    south = f.make_site(code="lon-s", name="London South", region=region, clients=[client], latitude=51.45, longitude=-0.12)
    f.make_requirement(south, kind="permitted_hours", description="Works 10:00-14:00 only", lead_time_hours=0,
                       permitted_hours={d: [["10:00", "14:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    desk = f.make_user("service_desk")
    dispatcher = f.make_user("dispatcher")
    client_user = f.make_user("client", client=other)
    engineers = {}
    for name, lat, skill in (("Ann", 51.52, "fibre"), ("Bob", 51.48, "fibre"), ("Cy", 51.50, "copper")):
        user = f.make_user("engineer", first_name=name)
        e = f.make_engineer(region, name=name, user=user, base_latitude=lat, base_longitude=-0.11,
                            working_hours=WEEKDAYS, time_zone="Europe/London")
        f.give_skill(e, skill)
        for site in (north, south):
            f.give_access(e, site)
        engineers[name] = e
    Skill.objects.get_or_create(code="subsea", defaults={"name": "Subsea"})  # a skill nobody holds
    f.clear_category_rules()
    return {"region": region, "client": client, "other": other, "north": north, "south": south, "desk": desk,
            "dispatcher": dispatcher, "client_user": client_user, **engineers}


def ready(w: dict[str, Any], title: str, start: str, end: str, *, site: str = "north", skill: str = "fibre",
          minutes: int = 60, priority: str = "p3", state: str = "ready", **kw: Any) -> WorkOrder:
    """A work order with a London window on DAY, moved to `state` through the gate."""
    with clock.frozen(NOW):
        wo = services.create_work_order({
            "client": w["client"].pk, "site": w[site].pk, "category": "remote_hands", "title": title,
            "window_start": at(start), "window_end": at(end), "estimated_minutes": minutes, "priority": priority,
            "required_skills": [skill], **kw,
        }, actor=w["desk"])
        for to in ("triage", "readiness", "ready"):
            if wo.state == state:
                break
            wo = services.transition_work_order(wo, to, actor=w["desk"], reason="next")
    return wo
