"""Builder step for the demo's on-call schedules: one business-hours schedule per region (nights and
weekends are visible gaps), a follow-the-sun schedule handing off between the three regions by
the clock, and the hospital's "Northgate Health EPR 24×7" (a weekly primary and a secondary layer,
attached to Northgate's EPR services and sites), which has someone on call at every instant.
"""

from __future__ import annotations

import datetime as dt

from opsdesk.accounts import services as account_services
from opsdesk.accounts.models import User
from opsdesk.core.actors import SystemActor
from opsdesk.oncall import services as oncall
from opsdesk.people.models import Engineer
from opsdesk.services.models import Service

from .context import DemoContext
from .data import REGIONS

ACTOR = SystemActor("demo")
HOSPITAL = "Northgate Health EPR 24×7"
PER_REGION = 4
REGION_ZONES = {"EMEA": "Europe/London", "AMER": "America/New_York", "APAC": "Australia/Sydney"}
# Follow the sun in UTC: each region covers eight hours of its working day.
SUN = {"APAC": ("23:00", "07:00"), "EMEA": ("07:00", "15:00"), "AMER": ("15:00", "23:00")}
BUSINESS = [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]


def _user_for(engineer: Engineer, taken: set[str]) -> User:
    """The engineer's login, made (engineer role) when it has none."""
    if engineer.user_id is not None:
        return User.objects.get(pk=engineer.user_id)
    base = engineer.email.split("@")[0][:140]
    username, n = base, 1
    while username in taken or User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    first, _, last = engineer.name.partition(" ")
    user = account_services.create_user(username=username, role="engineer", email=engineer.email, first_name=first,
                                        last_name=last, check_password=False)
    Engineer.objects.filter(pk=engineer.pk).update(user=user)
    # Signs in with the demo password like every demo login (one shared hash, made by the users step).
    shared = User.objects.filter(username="admin").values_list("password", flat=True).first() or ""
    User.objects.filter(pk=user.pk).update(password=shared, time_zone=engineer.time_zone)
    taken.add(username)
    return user


def _people(ctx: DemoContext) -> dict[str, list[User]]:
    """Up to PER_REGION engineers of the first copy per region, as users, by region code."""
    taken: set[str] = set()
    out: dict[str, list[User]] = {}
    for region in REGIONS:
        engineers = [e for e in ctx.engineers
                     if ctx.engineer_sites[e.pk].definition.region == region.code and ctx.engineer_sites[e.pk].copy == 0]
        linked = sorted(engineers, key=lambda e: (e.user_id is None, e.pk))[:PER_REGION]
        out[region.code] = [_user_for(Engineer.objects.get(pk=e.pk), taken) for e in linked]
    return out


def _monday(day: dt.date) -> str:
    return (day - dt.timedelta(days=day.weekday() + 7)).isoformat()


def build_oncall(ctx: DemoContext) -> None:
    """The regional, follow-the-sun and hospital schedules."""
    people = _people(ctx)
    start = _monday(ctx.today)
    made = 0
    for region in REGIONS:
        members = [u.pk for u in people[region.code]]
        oncall.create_schedule({
            "name": f"{region.code} service desk (business hours)", "time_zone": REGION_ZONES[region.code],
            "team": "Service desk", "region": ctx.regions[region.code].pk,
            "description": f"{region.name}: weekdays 08:00-18:00 local; nights and weekends are not covered.",
            "layers": [{"name": "Weekdays", "rotation": "weekly", "handoff": "08:00", "start": start,
                        "people": members, "restrictions": BUSINESS}],
        }, ACTOR)
        made += 1
    oncall.create_schedule({
        "name": "Follow the sun (global NOC)", "time_zone": "UTC", "team": "NOC",
        "description": "Three regions hand off by the clock: APAC 23:00-07:00, EMEA 07:00-15:00, AMER 15:00-23:00 UTC.",
        "layers": [{"name": f"{code} hours", "rotation": "daily", "handoff": begin, "start": start,
                    "people": [u.pk for u in people[code]], "restrictions": [{"days": list(range(7)), "start": begin,
                                                                            "end": end}]}
                   for code, (begin, end) in SUN.items()],
    }, ACTOR)
    made += 1
    northgate = ctx.client_for(0, "northgate")
    epr = list(Service.objects.filter(client=northgate, code__in=["epr", "integration-engine"]).values_list("pk", flat=True))
    sites = [p.site.pk for p in ctx.sites if p.copy == 0 and northgate in p.site.clients.all()]
    emea = [u.pk for u in people["EMEA"]]
    oncall.create_schedule({
        "name": HOSPITAL, "time_zone": "Europe/London", "team": "Hospital EPR", "client": northgate.pk,
        "region": ctx.regions["EMEA"].pk, "services": epr, "sites": sites,
        "description": "The EPR contract: someone on call at every instant. The primary rotates weekly on Mondays "
                       "09:00 London time; the secondary (a week behind) covers wherever the primary does not.",
        "layers": [
            {"name": "Primary", "rotation": "weekly", "handoff": "09:00", "start": start, "people": emea, "level": 1},
            {"name": "Secondary", "rotation": "weekly", "handoff": "09:00", "start": start,
             "people": emea[1:] + emea[:1], "level": 0},
        ],
    }, ACTOR)
    made += 1
    ctx.count("on-call schedules", made)
