"""`opsdesk integration create|list|rotate-key|process|change-events`: alert integrations from the command line.

``create`` and ``rotate-key`` print the key once (opsdesk keeps only its hash); with ``--quiet``
only the key, so it can be captured: ``KEY=$(opsdesk integration create ... --quiet)``.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.alerts import keys, processing, services
from opsdesk.alerts.change_events.cli import show_change_events
from opsdesk.alerts.models import Integration
from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError
from opsdesk.tenancy.models import Client

CLI_ACTOR = SystemActor("cli")
KINDS = [k for k, _ in Integration.Kind.choices]


def _rule(text: str) -> dict[str, Any]:
    """'service=epr->service:epr' style: LABEL OP VALUE -> service:CODE|site:CODE."""
    condition, _, target = text.partition("->")
    kind, _, code = target.strip().partition(":")
    for op in ("=~", "!~", "!=", "="):
        if op in condition:
            label, _, value = condition.partition(op)
            return {"label": label.strip(), "operator": op, "value": value.strip().strip('"'), kind.strip(): code.strip()}
    raise CommandError(f"cannot read the rule '{text}'; write LABEL=VALUE->service:CODE (or =~, !=, !~; site:CODE)")


class Command(BaseCommand):
    """Create, list and rotate alert integrations; process accepted events now."""

    help = "Manage alert integrations: create | list | rotate-key ID | process | change-events"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="add an integration; prints its key once")
        create.add_argument("client", help="client code")
        create.add_argument("kind", choices=KINDS)
        create.add_argument("--name", default="", help="a name (default: kind and client)")
        create.add_argument("--rule", action="append", default=[], metavar="RULE",
                            help='a mapping rule, e.g. \'service=epr->service:epr\' or \'instance=~dc2-.*->site:lon-dc2\'')
        create.add_argument("--quiet", action="store_true", help="print only the key")
        actions.add_parser("list", help="every integration")
        rotate = actions.add_parser("rotate-key", help="replace an integration's key; prints the new one once")
        rotate.add_argument("integration_id", type=int)
        rotate.add_argument("--quiet", action="store_true", help="print only the key")
        actions.add_parser("process", help="process accepted events now (the worker does it every second)")
        recent = actions.add_parser("change-events", help="recent change events (deploys, configuration pushes)")
        recent.add_argument("--integration", type=int, help="only this integration's")
        recent.add_argument("--limit", type=int, default=20, help="how many (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=140)
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(console, options)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc

    def _create(self, console: Console, options: dict[str, Any]) -> None:
        client = Client.objects.filter(code=options["client"]).first()
        if client is None:
            raise CommandError(f"no client with code '{options['client']}'")
        rules = [_rule(r) for r in options["rule"]]
        for rule in rules:
            for kind in ("service", "site"):
                if kind in rule:
                    rule[kind] = self._target(client, kind, rule[kind])
        name = options["name"] or f"{dict(Integration.Kind.choices)[options['kind']]} ({client.name})"
        integration, raw = services.create_integration(
            {"name": name, "kind": options["kind"], "client": client.pk, "rules": rules}, actor=CLI_ACTOR
        )
        self._show_key(console, integration, raw, options["quiet"])

    def _target(self, client: Client, kind: str, code: str) -> int:
        model: Any = client.services if kind == "service" else client.sites
        found = model.filter(code=code).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(f"{client.name} has no {kind} with code '{code}'")
        return int(found)

    def _rotate_key(self, console: Console, options: dict[str, Any]) -> None:
        integration = Integration.objects.filter(pk=options["integration_id"]).first()
        if integration is None:
            raise CommandError(f"no integration {options['integration_id']}")
        raw = services.rotate_key(integration, actor=CLI_ACTOR)
        self._show_key(console, integration, raw, options["quiet"])

    def _show_key(self, console: Console, integration: Integration, raw: str, quiet: bool) -> None:
        if quiet:
            self.stdout.write(raw)
            return
        where = "POST /v2/enqueue with routing_key" if integration.kind == "events_v2" else (
            f"POST /api/v1/integrations/{integration.kind}/{raw}")
        console.print(f"Integration {integration.pk} '{integration.name}': key {raw}", soft_wrap=True)
        console.print(f"Send to: {where}", soft_wrap=True)
        if integration.signature_header:
            console.print(f"Signing secret: {keys.signing_secret(integration.signing_salt)}", soft_wrap=True)
        console.print("The key is shown only now; opsdesk keeps its hash.")

    def _list(self, console: Console, options: dict[str, Any]) -> None:
        table = Table(title="Integrations", title_justify="left")
        for column in ("id", "name", "kind", "client", "key", "active", "rules"):
            table.add_column(column)
        for i in Integration.objects.select_related("client").prefetch_related("rules").order_by("id"):
            table.add_row(str(i.pk), i.name, i.kind, i.client.code, f"{i.key_prefix}…", "yes" if i.active else "no",
                          "; ".join(str(r) for r in i.rules.all()))
        console.print(table)

    def _process(self, console: Console, options: dict[str, Any]) -> None:
        done = processing.drain(seconds=60)
        console.print(f"Processed {done} accepted event(s).")

    def _change_events(self, console: Console, options: dict[str, Any]) -> None:
        show_change_events(console, options.get("integration"), max(1, options["limit"]))
