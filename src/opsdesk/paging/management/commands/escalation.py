"""`opsdesk escalation policies|show|create|status|ack|advance|contacts|add-contact|add-rule`:
escalation policies, paging and people's notification rules from the command line (the API's
shapes and the same services, so the same checks)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError, NotFound
from opsdesk.incidents.models import Incident
from opsdesk.paging import contacts, policies, queries, services
from opsdesk.paging.models import EscalationPolicy

CLI = SystemActor("cli")


class _Staff:
    """The CLI reads as staff (it runs on the server, as its operator)."""

    is_authenticated = True
    is_client_user = False
    client_id = None


STAFF = _Staff()


class Command(BaseCommand):
    """List policies, show one, show an incident's escalation, run due steps and pages now."""

    help = ("Escalation policies and paging: policies | show POLICY | create FILE.json | status INC_ID | ack INC_ID"
            " | advance | contacts USER | add-contact USER | add-rule USER")

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("policies", help="every escalation policy")
        show = actions.add_parser("show", help="one policy's steps (by id or name)")
        show.add_argument("policy")
        status = actions.add_parser("status", help="an incident's escalation: steps done, due, waiting")
        status.add_argument("incident", help="INC-42 or 42")
        actions.add_parser("advance", help="run due steps and send due pages now (the worker does it every second)")
        create = actions.add_parser("create", help="add a policy from a JSON file in the API's shape "
                                    "(POST /api/v1/escalation-policies)")
        create.add_argument("file", help="path to the JSON, or - for standard input")
        ack = actions.add_parser("ack", help="acknowledge an incident: its escalation stops")
        ack.add_argument("incident", help="INC-42 or 42")
        ack.add_argument("--as", dest="as_user", default=None, help="the username acknowledging (default: cli)")
        listed = actions.add_parser("contacts", help="a person's contact methods and notification rules")
        listed.add_argument("user", help="username")
        method = actions.add_parser("add-contact", help="a way to reach a person: --email ADDRESS, or --kind chat|webhook "
                                    "--endpoint ID (an internal channels endpoint)")
        method.add_argument("user", help="username")
        method.add_argument("--kind", choices=["email", "chat", "webhook"], default="email")
        method.add_argument("--email", default="", help="email address (blank: the account's)")
        method.add_argument("--endpoint", type=int, default=None, help="channels endpoint id (chat, webhook)")
        method.add_argument("--label", default="")
        rule = actions.add_parser("add-rule", help="use a contact method DELAY minutes after a page of URGENCY starts")
        rule.add_argument("user", help="username")
        rule.add_argument("--urgency", choices=["high", "low"], required=True)
        rule.add_argument("--method", type=int, required=True, help="the contact method's id (see `contacts`)")
        rule.add_argument("--delay", type=float, default=0, help="minutes (default 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=140)
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(console, options)
        except (NotFound, DomainError) as exc:
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
        incident = _incident(options["incident"])
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

    def _create(self, console: Console, options: dict[str, Any]) -> None:
        try:
            text = sys.stdin.read() if options["file"] == "-" else Path(options["file"]).read_text()
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read a JSON policy from {options['file']}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError("the file holds one policy: a JSON object")
        policy = policies.create_policy(data, actor=CLI)
        console.print(f"Policy {policy.pk} '{policy.name}' created with {policy.steps.count()} step(s).")

    def _ack(self, console: Console, options: dict[str, Any]) -> None:
        incident = _incident(options["incident"])
        actor: Any = _user(options["as_user"]) if options["as_user"] else CLI
        services.acknowledge(incident, actor=actor, reason="acknowledged from the command line")
        status = queries.escalation_status(STAFF, incident)
        console.print(f"INC-{incident.pk} acknowledged; escalation {status['state']}.")

    def _contacts(self, console: Console, options: dict[str, Any]) -> None:
        person = _user(options["user"])
        table = Table(title=f"Contact methods of {person.get_username()}", title_justify="left")
        for column in ("id", "kind", "address / endpoint", "label"):
            table.add_column(column)
        for m in queries.list_contact_methods(person).select_related("endpoint"):
            where = m.address or (person.email if m.kind == "email" else (m.endpoint.name if m.endpoint else "(removed)"))
            table.add_row(str(m.pk), m.kind, where, m.label)
        console.print(table)
        rules = Table(title="Notification rules", title_justify="left")
        for column in ("id", "urgency", "method", "after"):
            rules.add_column(column)
        for r in queries.list_rules(person).select_related("contact_method"):
            rules.add_row(str(r.pk), r.urgency, str(r.contact_method), f"{r.delay_minutes:g} min")
        console.print(rules)

    def _add_contact(self, console: Console, options: dict[str, Any]) -> None:
        person = _user(options["user"])
        method = contacts.add_contact_method(person, {"kind": options["kind"], "address": options["email"],
                                                      "endpoint": options["endpoint"], "label": options["label"]})
        console.print(f"Contact method {method.pk} ({method.kind}) added for {person.get_username()}.")

    def _add_rule(self, console: Console, options: dict[str, Any]) -> None:
        person = _user(options["user"])
        rule = contacts.add_rule(person, {"urgency": options["urgency"], "contact_method": options["method"],
                                          "delay_minutes": options["delay"]})
        console.print(f"Rule {rule.pk}: {rule}.")


def _incident(value: str) -> Incident:
    ref = str(value).upper().removeprefix("INC-")
    incident = Incident.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if incident is None:
        raise CommandError(f"no incident {value}")
    return incident


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user
