"""`opsdesk oncall now|show|list`: who is on call, a schedule's week, and the schedules, from the command line."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core import clock
from opsdesk.oncall import queries, rules
from opsdesk.oncall.models import Schedule


def _schedule(value: str) -> Schedule:
    found = queries.lookup_queryset().filter(pk=int(value)).first() if value.isdigit() else None
    found = found or queries.lookup_queryset().filter(name=value).first()
    if found is None:
        raise CommandError(f"no schedule with id or name {value!r} (see `opsdesk oncall list`)")
    return found


def _instant(value: str | None) -> dt.datetime:
    if not value:
        return clock.now()
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--at {value!r} is not ISO-8601 (e.g. 2026-03-29T08:00:00Z)") from exc
    if at.tzinfo is None:
        raise CommandError("--at needs an offset (e.g. 2026-03-29T08:00:00Z or +01:00)")
    return at.astimezone(dt.UTC)


class Command(BaseCommand):
    """Who is on call now (or at an instant), a schedule's week with gaps, the list of schedules."""

    help = "On-call schedules: now SCHEDULE [--at ISO] | show SCHEDULE --week [--start YYYY-MM-DD] | list"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        now = actions.add_parser("now", help="who is on call (now, or --at an instant)")
        now.add_argument("schedule", help="id or name")
        now.add_argument("--at", default=None, help="ISO-8601 instant with offset (default: now)")
        show = actions.add_parser("show", help="a schedule's final shifts, per day, gaps marked")
        show.add_argument("schedule", help="id or name")
        show.add_argument("--week", action="store_true", help="seven days (the default and only span)")
        show.add_argument("--start", default=None, help="first local day YYYY-MM-DD (default: this week's Monday)")
        actions.add_parser("list", help="schedules with who is on call now")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=160)
        getattr(self, "_" + options["action"])(console, options)

    def _now(self, console: Console, options: dict[str, Any]) -> None:
        schedule = _schedule(options["schedule"])
        at = _instant(options["at"])
        tz = rules.zone(schedule.time_zone)
        people = queries.on_call(schedule, at)
        when = f"{at.astimezone(tz):%a %d %b %Y %H:%M} {schedule.time_zone} ({at:%Y-%m-%d %H:%M} UTC)"
        if not people:
            gap = queries.next_gap(schedule, at, dt.timedelta(seconds=1))
            until = f" until {gap[1].astimezone(tz):%a %d %b %H:%M}" if gap else ""
            console.print(f"{schedule.name}: NOBODY is on call at {when}{until}.", soft_wrap=True)
            return
        names = ", ".join(f"{p.get_full_name() or p.username} ({p.username})" for p in people)
        console.print(f"{schedule.name}: {names} on call at {when}.", soft_wrap=True)

    def _show(self, console: Console, options: dict[str, Any]) -> None:
        schedule = _schedule(options["schedule"])
        tz = rules.zone(schedule.time_zone)
        if options["start"]:
            try:
                first = dt.date.fromisoformat(options["start"])
            except ValueError as exc:
                raise CommandError(f"--start {options['start']!r} is not a date YYYY-MM-DD") from exc
        else:
            today = clock.now().astimezone(tz).date()
            first = today - dt.timedelta(days=today.weekday())
        table = Table(title=f"{schedule.name} — week of {first:%a %d %b %Y} ({schedule.time_zone}, local times)")
        table.add_column("Day")
        table.add_column("Shifts")
        people = queries.people_of(schedule)
        for offset in range(7):
            day = first + dt.timedelta(days=offset)
            start = rules.to_utc(dt.datetime.combine(day, dt.time()), tz)
            end = rules.to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)
            rows = [(s.start, f"{s.start.astimezone(tz):%H:%M}–{s.end.astimezone(tz):%H:%M} "
                     f"{people[s.person_id].username}" + (" (override)" if s.override_id else ""))
                    for s in queries.shifts(schedule, start, end)]
            rows += [(a, f"[bold red]GAP {a.astimezone(tz):%H:%M}–{b.astimezone(tz):%H:%M} nobody covers[/]")
                     for a, b in queries.gaps(schedule, start, end)]
            table.add_row(f"{day:%a %d %b}", "\n".join(text for _, text in sorted(rows, key=lambda r: r[0])))
        console.print(table)

    def _list(self, console: Console, options: dict[str, Any]) -> None:
        now = clock.now()
        table = Table(title="On-call schedules")
        for name in ("Id", "Name", "Zone", "Team", "On call now", "Next handoff", "Gap within 24 h"):
            table.add_column(name)
        for schedule in queries.lookup_queryset().order_by("name"):
            tz = rules.zone(schedule.time_zone)
            people = ", ".join(p.username for p in queries.on_call(schedule, now)) or "[bold red]nobody[/]"
            handoff = queries.next_handoff(schedule, now)
            gap = queries.next_gap(schedule, now, dt.timedelta(hours=24))
            table.add_row(str(schedule.pk), schedule.name, schedule.time_zone, schedule.team or "—", people,
                          f"{handoff.astimezone(tz):%a %d %b %H:%M}" if handoff else "—",
                          rules.describe_gap(*gap, schedule.time_zone) if gap else "—")
        console.print(table)
