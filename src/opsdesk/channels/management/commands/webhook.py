"""`opsdesk webhook add|list|deliveries|replay|test`: channel endpoints from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.channels import queries, services
from opsdesk.channels.models import Delivery, Endpoint
from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError

ACTOR = SystemActor("cli")
KINDS = [k for k, _label in Endpoint.Kind.choices]


class Command(BaseCommand):
    """Add an endpoint (its secret printed once), list them, show deliveries, replay one, send a test."""

    help = "Channel endpoints: add NAME [URL] | list | deliveries ID | replay DELIVERY_ID | test ID"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add an endpoint; a webhook's signing secret is printed once")
        add.add_argument("name")
        add.add_argument("url", nargs="?", default=None,
                         help="the receiver's URL (slack_app: the Slack API base, default https://slack.com/api)")
        add.add_argument("--kind", choices=KINDS, default="webhook")
        add.add_argument("--channel", dest="slack_channel", default=None,
                         help="slack_app: the Slack channel id to post to (C0123456789); the bot token is the "
                              "server's OPSDESK_SLACK_BOT_TOKEN")
        add.add_argument("--event", action="append", default=[], dest="events",
                         help=f"an event type to subscribe to (repeat; none: all). One of {', '.join(services.EVENTS)}")
        add.add_argument("--client", type=int, default=None, help="the client id it belongs to (default: internal)")
        add.add_argument("--team", default="")
        actions.add_parser("list", help="every endpoint with its state")
        deliveries = actions.add_parser("deliveries", help="an endpoint's latest deliveries and their answers")
        deliveries.add_argument("endpoint_id", type=int)
        deliveries.add_argument("--limit", type=int, default=20)
        replay = actions.add_parser("replay", help="send a delivery again now (same webhook-id)")
        replay.add_argument("delivery_id", type=int)
        test = actions.add_parser("test", help="send a ping event to an endpoint now")
        test.add_argument("endpoint_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=160)
        try:
            getattr(self, "_" + options["action"])(console, options)
        except DomainError as exc:
            raise CommandError(exc.detail) from None

    def _add(self, console: Console, options: dict[str, Any]) -> None:
        data = {k: options[k] for k in ("name", "url", "kind", "slack_channel", "events", "client", "team")}
        endpoint, secret = services.create_endpoint(data, actor=ACTOR)
        console.print(f"Endpoint {endpoint.pk} '{endpoint.name}' ({endpoint.kind}) added.", soft_wrap=True)
        if secret:
            console.print(f"Signing secret (shown this once, not stored): {secret}", soft_wrap=True, markup=False)

    def _list(self, console: Console, options: dict[str, Any]) -> None:
        table = Table(title="Endpoints", title_justify="left")
        for column in ("id", "name", "kind", "for", "events", "state", "last delivery", "failures"):
            table.add_column(column)
        for e in queries.list_endpoints(_staff()):
            last_at, last_state = getattr(e, "last_delivery_at", None), getattr(e, "last_delivery_state", "")
            state = "active" if e.active else f"disabled: {e.disabled_reason}"
            last = f"{last_state} {last_at:%Y-%m-%d %H:%M}" if last_at else "—"
            table.add_row(str(e.pk), e.name, e.kind, e.client.name if e.client else "internal",
                          ", ".join(e.events) or "all", state, last, f"{e.consecutive_failures}/{e.failure_threshold}")
        console.print(table)

    def _deliveries(self, console: Console, options: dict[str, Any]) -> None:
        rows = queries.list_deliveries(_staff(), options["endpoint_id"])[: max(1, options["limit"])]
        table = Table(title=f"Deliveries of endpoint {options['endpoint_id']}", title_justify="left")
        for column in ("id", "created", "event", "webhook-id", "state", "attempts", "last answer"):
            table.add_column(column)
        for d in rows:
            answer = f"HTTP {d.last_status_code}" if d.last_status_code else (d.last_error or "—")
            table.add_row(str(d.pk), f"{d.created_at:%Y-%m-%d %H:%M:%S}", d.event, d.message_id, d.state,
                          str(d.attempts), answer[:80])
        console.print(table)

    def _replay(self, console: Console, options: dict[str, Any]) -> None:
        delivery = Delivery.objects.select_related("endpoint").filter(pk=options["delivery_id"]).first()
        if delivery is None:
            raise CommandError(f"no delivery {options['delivery_id']}")
        done = services.replay(delivery, ACTOR)
        console.print(f"Delivery {done.pk} replayed: {done.state} ({_answer(done)})", soft_wrap=True, markup=False)

    def _test(self, console: Console, options: dict[str, Any]) -> None:
        endpoint = Endpoint.objects.filter(pk=options["endpoint_id"]).first()
        if endpoint is None:
            raise CommandError(f"no endpoint {options['endpoint_id']}")
        done = services.send_test(endpoint, actor=ACTOR)
        console.print(f"Test event to {endpoint.name}: {done.state} ({_answer(done)})", soft_wrap=True, markup=False)


class _Operator:
    """The operator at the command line reads as staff."""

    is_authenticated = True
    is_client_user = False
    client_id = None


def _staff() -> Any:
    return _Operator()


def _answer(delivery: Delivery) -> str:
    return f"HTTP {delivery.last_status_code}" if delivery.last_status_code else delivery.last_error or "no answer"
