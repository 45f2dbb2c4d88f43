"""`opsdesk escalation policies|show POLICY|status INC_ID|advance`: escalation policies and paging
from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core.errors import NotFound
from opsdesk.incidents.models import Incident
from opsdesk.paging import queries, services
from opsdesk.paging.models import EscalationPolicy


class _Staff:
    """The CLI reads as staff (it runs on the server, as its operator)."""

    is_authenticated = True
    is_client_user = False
    client_id = None


STAFF = _Staff()


class Command(BaseCommand):
    """List policies, show one, show an incident's escalation, run due steps and pages now."""

    help = "Escalation policies and paging: policies | show POLICY | status INC_ID | advance"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("policies", help="every escalation policy")
        show = actions.add_parser("show", help="one policy's steps (by id or name)")
        show.add_argument("policy")
        status = actions.add_parser("status", help="an incident's escalation: steps done, due, waiting")
        status.add_argument("incident", help="INC-42 or 42")
        actions.add_parser("advance", help="run due steps and send due pages now (the worker does it every second)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=140)
        try:
            getattr(self, "_" + options["action"])(console, options)
        except NotFound as exc:
            raise CommandError(exc.detail) from exc

    def _policies(self, console: Console, options: dict[str, Any]) -> None:
        table = Table(title="Escalation policies", title_justify="left")
        for column in ("id", "name", "steps", "repeat", "default", "severity rules"):
            table.add_column(column)
        for p in EscalationPolicy.objects.prefetch_related("steps").order_by("id"):
            rules = ", ".join(f"{k}: {v}" for k, v in sorted(p.severity_rules.items()))
            table.add_row(str(p.pk), p.name, str(len(p.steps.all())), str(p.repeat), "yes" if p.is_default else "",
                          rules)
        console.print(table)

    def _show(self, console: Console, options: dict[str, Any]) -> None:
        policy = queries.find_policy(STAFF, options["policy"])
        console.print(f"Policy {policy.pk} '{policy.name}': repeat {policy.repeat}, "
                      f"{'default, ' if policy.is_default else ''}{policy.severity_rules}", soft_wrap=True)
        table = Table(title="Steps", title_justify="left")
        for column in ("#", "target", "wait"):
            table.add_column(column)
        for step in policy.steps.order_by("position"):
            table.add_row(str(step.position + 1), queries.step_label(step), f"{step.wait_minutes:g} min")
        console.print(table)

    def _status(self, console: Console, options: dict[str, Any]) -> None:
        ref = str(options["incident"]).upper().removeprefix("INC-")
        incident = Incident.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
        if incident is None:
            raise CommandError(f"no incident {options['incident']}")
        status = queries.escalation_status(STAFF, incident)
        if status["policy"] is None:
            console.print(f"INC-{incident.pk}: no escalation (no policy applied).")
            return
        due = status["next_due_at"]
        console.print(f"INC-{incident.pk}: policy {status['policy']}, {status['state']}, {status['urgency']} urgency"
                      + (f", next step due {due:%Y-%m-%d %H:%M:%S} UTC" if due else ""), soft_wrap=True)
        table = Table(title="Steps", title_justify="left")
        for column in ("#", "target", "state", "at", "notifications"):
            table.add_column(column)
        for s in status["steps"]:
            when = s["at"] or s["due_at"]
            table.add_row(str(s["position"]), s["target"], s["state"], f"{when:%H:%M:%S}" if when else "",
                          ", ".join(f"{p['person']} by {p['method']}: {p['state']}" for p in s["pages"]))
        console.print(table)

    def _advance(self, console: Console, options: dict[str, Any]) -> None:
        steps = services.advance_due()
        sent = services.send_due()
        console.print(f"Ran {steps} due step(s); sent {sent} page(s).")
