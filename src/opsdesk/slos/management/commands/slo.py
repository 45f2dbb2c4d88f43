"""`opsdesk slo list|show ID|evaluate|check`: SLOs, their burn rates, and their jobs from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core import clock
from opsdesk.slos import alerts, synthetic
from opsdesk.slos.models import Slo
from opsdesk.slos.reports import report_of


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.3%}"


class Command(BaseCommand):
    """List SLOs, show one's report, evaluate burn rates now, run due synthetic checks now."""

    help = "SLOs: list | show ID | evaluate | check"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="every SLO, with the rules firing")
        show = actions.add_parser("show", help="one SLO's report: attainment, budget, burn rates")
        show.add_argument("slo_id", type=int)
        actions.add_parser("evaluate", help="evaluate burn-rate alerts now (the worker does it every minute)")
        actions.add_parser("check", help="run the due synthetic checks now (the worker does it every 15 s)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=140)
        getattr(self, "_" + options["action"])(console, options)

    def _list(self, console: Console, options: dict[str, Any]) -> None:
        table = Table(title="SLOs", title_justify="left")
        for column in ("id", "service", "name", "kind", "objective", "window", "key", "alerting", "active", "firing"):
            table.add_column(column)
        for slo in Slo.objects.select_related("service").order_by("id"):
            table.add_row(
                str(slo.pk), slo.service.name, slo.name, slo.kind + (f" < {slo.latency_threshold_ms} ms"
                                                                    if slo.latency_threshold_ms else ""),
                _share(slo.objective), f"{slo.window_days} d", f"{slo.key_prefix}…", "yes" if slo.alerting else "no",
                "yes" if slo.active else "no", ", ".join(sorted(slo.firing or {})) or "—",
            )
        console.print(table)

    def _show(self, console: Console, options: dict[str, Any]) -> None:
        slo = Slo.objects.select_related("service").filter(pk=options["slo_id"]).first()
        if slo is None:
            raise CommandError(f"no SLO {options['slo_id']}")
        report = report_of(slo, clock.now())
        console.print(f"SLO {slo.pk} '{slo.name}' on {slo.service.name}: {slo.kind}, objective {_share(slo.objective)} "
                      f"over {slo.window_days} days", soft_wrap=True)
        console.print(f"Attainment {_share(report.attainment)} ({report.good:.0f} good of {report.valid:.0f}); "
                      f"error budget remaining {report.budget_remaining:.1%}; "
                      f"{'met' if report.met else 'missed'}", soft_wrap=True)
        table = Table(title="Burn-rate rules", title_justify="left")
        for column in ("rule", "action", "threshold", "long window", "long rate", "short window", "short rate", "firing"):
            table.add_column(column)
        for rule in report.rules:
            table.add_row(rule.name, rule.action, f"{rule.threshold:g}x", f"{rule.long_window_s / 3600:g} h",
                          f"{rule.long_rate:.2f}x", f"{rule.short_window_s / 60:g} min", f"{rule.short_rate:.2f}x",
                          "FIRING" if rule.firing else "no")
        console.print(table)
        for name, since in sorted((slo.firing or {}).items()):
            console.print(f"Alert sent: {name} since {since}")

    def _evaluate(self, console: Console, options: dict[str, Any]) -> None:
        result = alerts.evaluate()
        console.print(f"Evaluated {result.evaluated} SLO(s): {len(result.triggered)} alert(s) triggered, "
                      f"{len(result.resolved)} resolved.")
        for key in result.triggered:
            console.print(f"  triggered {key}")
        for key in result.resolved:
            console.print(f"  resolved {key}")

    def _check(self, console: Console, options: dict[str, Any]) -> None:
        results = synthetic.run_due_checks()
        table = Table(title=f"Synthetic checks run: {len(results)}", title_justify="left")
        for column in ("check", "url", "status", "ms", "ok", "error"):
            table.add_column(column)
        for r in results:
            table.add_row(r.check_run.name, r.check_run.url, str(r.status_code or "—"), f"{r.duration_ms:.0f}",
                          "yes" if r.ok else "no", r.error)
        console.print(table)
