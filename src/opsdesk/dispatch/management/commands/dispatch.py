"""`opsdesk dispatch plan|show|accept|list`: plan a region's day from the command line.

    opsdesk dispatch plan LON 2026-11-25 --seconds 5      # propose (prints the routes and what is left out)
    opsdesk dispatch accept 12                             # schedule, dispatch and hand over
    opsdesk dispatch show 12 --json                        # the API's answer

Planning acts as a user (`--as`, default: the first active dispatcher or admin), whose
permission is checked as in the API.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.accounts.models import User
from opsdesk.core.errors import DomainError
from opsdesk.dispatch import queries, services
from opsdesk.dispatch.answers import plan_answer
from opsdesk.dispatch.models import Plan
from opsdesk.workorders.eligibility import zone


def _actor(username: str | None) -> User:
    users = get_user_model().objects.filter(is_active=True)
    if username:
        found = users.filter(username=username).first()
        if found is None:
            raise CommandError(f"no active user '{username}'")
        return found
    found = users.filter(role__in=("dispatcher", "admin")).order_by("role", "id").first()
    if found is None:
        raise CommandError("no active dispatcher or admin; pass --as USERNAME")
    return found


class Command(BaseCommand):
    """Propose, show, list and accept dispatch plans."""

    help = "Dispatch plans: plan REGION DAY | show PLAN | accept PLAN | list"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        plan = actions.add_parser("plan", help="propose a plan of a region's day (a re-plan if the day has an accepted plan)")
        plan.add_argument("region", help="region code or id")
        plan.add_argument("day", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        plan.add_argument("--seconds", type=float, default=None, help="search time (default: OPSDESK_DISPATCH_SECONDS)")
        plan.add_argument("--fresh", action="store_true", help="plan from scratch even if the day has an accepted plan")
        plan.add_argument("--accept", action="store_true", help="accept it at once when the checker passes it")
        show = actions.add_parser("show", help="a plan's routes, unassigned work and checker verdict")
        show.add_argument("plan_id", type=int)
        accept = actions.add_parser("accept", help="accept a proposed plan")
        accept.add_argument("plan_id", type=int)
        listing = actions.add_parser("list", help="recent plans")
        listing.add_argument("--region", default=None)
        for sub in (plan, show, accept, listing):
            sub.add_argument("--as", dest="username", default=None, help="act as this user")
            sub.add_argument("--json", action="store_true", help="print the API's JSON answer")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=150)
        try:
            getattr(self, "_" + options["action"])(console, options, _actor(options["username"]))
        except DomainError as exc:
            raise CommandError(str(exc.detail if hasattr(exc, "detail") else exc)) from exc

    def _plan(self, console: Console, options: dict[str, Any], actor: User) -> None:
        plan = services.propose_plan(options["region"], options["day"], actor=actor, seconds=options["seconds"], fresh=options["fresh"])
        if options["accept"]:
            plan = services.accept_plan(plan, actor=actor)
        self._print(console, plan, options)

    def _show(self, console: Console, options: dict[str, Any], actor: User) -> None:
        self._print(console, queries.get_plan(actor, options["plan_id"]), options)

    def _accept(self, console: Console, options: dict[str, Any], actor: User) -> None:
        plan = services.accept_plan(queries.get_plan(actor, options["plan_id"]), actor=actor)
        self._print(console, plan, options)

    def _list(self, console: Console, options: dict[str, Any], actor: User) -> None:
        plans = list(queries.list_plans(actor, region=options["region"])[:30])
        if options["json"]:
            console.print_json(json.dumps([{"id": p.pk, "region": p.region.code, "day": p.day.isoformat(), "state": p.state,
                                            "travel_minutes": p.travel_minutes, "ok": not p.violations} for p in plans]))
            return
        table = Table("plan", "region", "day", "state", "solver", "travel min", "unassigned", "checker")
        for p in plans:
            table.add_row(str(p.pk), p.region.code, p.day.isoformat(), p.state, p.solver, str(p.travel_minutes),
                          str(len(p.unassigned)), "ok" if not p.violations else f"{len(p.violations)} violation(s)")
        console.print(table)

    def _print(self, console: Console, plan: Plan, options: dict[str, Any]) -> None:
        rows = queries.stops_of(plan)
        answer = plan_answer(plan, rows)
        if options["json"]:
            console.print_json(json.dumps(answer))
            return
        verdict = "checker: ok" if answer["checker"]["ok"] else f"checker: {len(answer['checker']['violations'])} violation(s)"
        console.print(f"Plan {plan.pk} · {plan.region.code} {plan.day} · {plan.state} · {plan.solver} "
                      f"{plan.solve_seconds:.1f} s · travel {plan.travel_minutes} min · {verdict}", markup=False)
        stops = {s.work_order_id: s for s in rows}
        table = Table("engineer", "#", "work order", "site", "arrive", "start", "finish", "travel min")
        for route in answer["routes"]:
            for i, s in enumerate(route["stops"]):
                row = stops[s["work_order"]]
                tz = zone(row.work_order.site.time_zone)
                table.add_row(
                    route["name"] if i == 0 else "", str(i + 1), f"WO-{row.work_order_id} {row.work_order.title}"[:50],
                    row.work_order.site.code, f"{row.arrival_at.astimezone(tz):%H:%M}", f"{row.start_at.astimezone(tz):%H:%M}",
                    f"{row.finish_at.astimezone(tz):%H:%M}", str(s["travel_minutes"]) + (" (fixed)" if s["fixed"] else ""),
                )
        console.print(table)
        for u in answer["unassigned"]:
            console.print(f"  unassigned WO-{u['work_order']}: {u['reason']}", markup=False)
        for v in answer["checker"]["violations"]:
            console.print(f"  violation: {v['detail']}", markup=False)
        for m in answer["moved"]:
            console.print(f"  moved WO-{m['work_order']}: {m['change']} ({m['from_engineer']} → {m['to_engineer']})", markup=False)
