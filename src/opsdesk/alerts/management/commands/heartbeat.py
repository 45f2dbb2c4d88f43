"""`opsdesk heartbeat add|list|ping|check`: heartbeats (a dead-man's switch) from the command line.

``ping`` records a ping as the HTTP endpoint does (GET|POST /api/v1/heartbeats/<slug>/ping with the
integration key); ``check`` runs the worker's periodic check now.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.alerts import keys
from opsdesk.alerts.heartbeats import services as heartbeats
from opsdesk.alerts.heartbeats.models import Heartbeat
from opsdesk.alerts.models import Alert, Integration
from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError

CLI_ACTOR = SystemActor("cli")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


class Command(BaseCommand):
    """Add and list heartbeats, ping one, run the overdue check now."""

    help = "Manage heartbeats: add INTEGRATION_ID SLUG | list | ping SLUG --key KEY | check"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a heartbeat to an integration")
        add.add_argument("integration_id", type=int)
        add.add_argument("slug", help="in the ping URL: letters, digits, - and _")
        add.add_argument("--name", default="", help="a name (default: the slug)")
        add.add_argument("--every", type=int, default=5, metavar="MINUTES", help="expected ping interval (default 5)")
        add.add_argument("--grace", type=int, default=5, metavar="MINUTES", help="grace after it (default 5)")
        add.add_argument("--severity", default="critical", choices=[s for s, _ in Alert.Severity.choices])
        add.add_argument("--service", default="", metavar="CODE", help="service of the alert (code)")
        listing = actions.add_parser("list", help="heartbeats with state, last ping and next due")
        listing.add_argument("--integration", type=int, default=None)
        ping = actions.add_parser("ping", help="record a ping with the integration key")
        ping.add_argument("slug")
        ping.add_argument("--key", required=True, help="the integration key")
        actions.add_parser("check", help="move overdue heartbeats to late or down now (the worker does it every 15 s)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=160)
        try:
            getattr(self, "_" + options["action"])(console, options)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _add(self, console: Console, options: dict[str, Any]) -> None:
        integration = Integration.objects.select_related("client").filter(pk=options["integration_id"]).first()
        if integration is None:
            raise CommandError(f"no integration {options['integration_id']}")
        service = None
        if options["service"]:
            service = integration.client.services.filter(code=options["service"]).values_list("pk", flat=True).first()
            if service is None:
                raise CommandError(f"{integration.client.name} has no service with code '{options['service']}'")
        made = heartbeats.create_heartbeat(integration, {
            "name": options["name"] or options["slug"], "slug": options["slug"], "interval_minutes": options["every"],
            "grace_minutes": options["grace"], "severity": options["severity"], "service": service,
        }, actor=CLI_ACTOR)
        console.print(f"Heartbeat {made.pk} '{made.name}' on integration {integration.pk}: ping "
                      f"/api/v1/heartbeats/{made.slug}/ping (GET or POST) with the integration key "
                      f"at least every {made.interval_minutes} min.", soft_wrap=True)

    def _list(self, console: Console, options: dict[str, Any]) -> None:
        table = Table(title="Heartbeats", title_justify="left")
        for column in ("id", "integration", "slug", "name", "state", "every", "grace", "last ping", "next due", "pings"):
            table.add_column(column)
        found = Heartbeat.objects.select_related("integration").order_by("integration_id", "name", "id")
        if options["integration"]:
            found = found.filter(integration_id=options["integration"])
        for h in found:
            table.add_row(str(h.pk), str(h.integration_id), h.slug, h.name, h.state, f"{h.interval_minutes} min",
                          f"{h.grace_minutes} min", _when(h.last_ping_at), _when(h.due_at), str(h.pings))
        console.print(table)

    def _ping(self, console: Console, options: dict[str, Any]) -> None:
        pinged = heartbeats.ping(keys.hash_key(options["key"].strip()), options["slug"])
        if pinged is None:
            raise CommandError(f"no heartbeat '{options['slug']}' on an active integration with this key")
        console.print(f"Pinged {pinged.slug}: {pinged.state}, next due {_when(pinged.due_at)}.")

    def _check(self, console: Console, options: dict[str, Any]) -> None:
        done = heartbeats.check_overdue()
        console.print(f"Late: {done['late']}, down (alert raised): {done['down']}.")
