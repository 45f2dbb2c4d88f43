"""`opsdesk sla recompute|watch|attainment|show`: SLA clocks from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.incidents.models import Incident
from opsdesk.slas import attainment, bulk, notices, recompute
from opsdesk.slas.clocks import sla_of
from opsdesk.slas.targets import INCIDENT
from opsdesk.workorders.models import WorkOrder


class _Everyone:
    """The command line acts with staff visibility (every client)."""

    is_authenticated = True
    is_client_user = False
    client_id = None


class Command(BaseCommand):
    """Recompute stored SLA clocks, run the at-risk/breach watch, print attainment or one object's clocks."""

    help = "SLA clocks: recompute | watch | attainment | show (wo|inc) ID"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        again = actions.add_parser("recompute", help="recompute every stored clock from the state histories")
        again.add_argument("--processes", type=int, default=0, help="worker processes (default: one per core)")
        again.add_argument("--from-timeline", action="store_true",
                           help="read every state history from the timeline (after an import or a direct edit)")
        actions.add_parser("watch", help="refresh due clocks and send at-risk notices and breach escalations now")
        report = actions.add_parser("attainment", help="share of targets met per group and month")
        report.add_argument("--group-by", choices=list(attainment.GROUPS), default="client")
        report.add_argument("--kind", choices=list(attainment.KINDS), default="work_order")
        report.add_argument("--target", choices=list(attainment.TARGETS), default="resolution")
        report.add_argument("--since", help="first month, YYYY-MM (default: five months before --until)")
        report.add_argument("--until", help="last month, YYYY-MM (default: this month)")
        show = actions.add_parser("show", help="one work order's or incident's clocks now")
        show.add_argument("kind", choices=["wo", "inc"])
        show.add_argument("object_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=140)
        try:
            getattr(self, "_" + options["action"])(console, options)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc

    def _recompute(self, console: Console, options: dict[str, Any]) -> None:
        figures = bulk.recompute_all(processes=options["processes"] or None, from_timeline=options["from_timeline"])
        incidents = recompute.recompute_open(INCIDENT)
        console.print(f"Work orders: {figures.work_orders:,} ({figures.rows:,} clocks, {figures.written:,} changed, "
                      f"{figures.deleted:,} removed) in {figures.wall_s:.1f} s; open incidents: {incidents:,} clocks.")

    def _watch(self, console: Console, options: dict[str, Any]) -> None:
        done = notices.watch()
        console.print(f"Refreshed {done['refreshed']:,} clocks; {done['at_risk']:,} at-risk notices, "
                      f"{done['breached']:,} breach escalations sent.")

    def _attainment(self, console: Console, options: dict[str, Any]) -> None:
        first, last = attainment.month_range(options["since"], options["until"], clock.today_utc())
        rows = attainment.list_attainment(_Everyone(), group_by=options["group_by"], kind=options["kind"],
                                          target=options["target"], first=first, last=last)
        table = Table(title=f"SLA attainment: {options['kind'].replace('_', ' ')}s, {options['target']} target")
        for name in (options["group_by"].capitalize(), "Month", "Met", "Breached", "Attainment", "Raw"):
            table.add_column(name, justify="right" if name != options["group_by"].capitalize() else "left")
        for row in rows:
            table.add_row(row.group_name, row.month, str(row.met), str(row.breached), f"{row.attainment:.1%}",
                          f"{row.raw_attainment:.1%}")
        if rows:
            console.print("Attainment on provider time (time waiting on the client or a third party excused); "
                          "Raw: counting that time too.")
        console.print(table if rows else "Nothing settled in these months.")

    def _show(self, console: Console, options: dict[str, Any]) -> None:
        model: Any = WorkOrder if options["kind"] == "wo" else Incident
        obj = model.objects.filter(pk=options["object_id"]).first()
        if obj is None:
            raise CommandError(f"no {'work order' if model is WorkOrder else 'incident'} {options['object_id']}")
        sla = sla_of(obj)
        if sla.policy is None:
            console.print("No SLA policy applies.")
            return
        table = Table(title=f"{sla.policy.name} ({'business hours, ' + sla.time_zone if sla.business_hours else '24x7'})")
        for name in ("Target", "Status", "Used (min)", "Paused (min)", "Target (min)", "Due (UTC)"):
            table.add_column(name)
        for t in sla.targets:
            due = t.due_at or t.breached_at or t.stopped_at
            table.add_row(t.target, t.status, f"{t.elapsed_minutes:g}", f"{t.paused_minutes:g}", str(t.target_minutes),
                          f"{due:%Y-%m-%d %H:%M}" if due else "-")
        console.print(table)
        for t in sla.targets:
            if t.pause_summary:
                since = f" (paused since {t.paused_since:%Y-%m-%d %H:%M} UTC)" if t.paused_since else ""
                console.print(f"{t.target}: {t.pause_summary}{since}", markup=False, highlight=False)
                for p in t.pauses:
                    end = f"{p.ended_at:%Y-%m-%d %H:%M}" if p.ended_at else "now"
                    console.print(f"  {p.started_at:%Y-%m-%d %H:%M} – {end} UTC, {p.minutes:g} min: {p.detail or p.reason}",
                                  markup=False, highlight=False)
