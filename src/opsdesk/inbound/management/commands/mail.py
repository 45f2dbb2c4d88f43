"""`opsdesk mail`: the inbound email listener (SMTP, or LMTP with --lmtp); `--process-pending`
processes what is stored and not processed yet; `--list` shows the latest messages;
`opsdesk mail templates list|show|set|reset` reads and changes the wording of the emails opsdesk
sends (core.mailtemplates)."""

from __future__ import annotations

import signal
import sys
import threading
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError
from opsdesk.core.mailtemplates import queries as mail_templates
from opsdesk.core.mailtemplates import services as mail_template_services
from opsdesk.inbound import queries, services
from opsdesk.inbound.listener import MailController


class Command(BaseCommand):
    """Run the inbound mail listener, process pending messages, or list messages."""

    help = ("Receive email (SMTP/LMTP) for opsdesk; --process-pending, --list [--limit N]; "
            "`templates list|show|set|reset`: the wording of the emails opsdesk sends.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=settings.OPSDESK_MAIL_PORT,
                            help=f"port (default {settings.OPSDESK_MAIL_PORT})")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP (for an MTA such as Postfix delivering here)")
        parser.add_argument("--process-pending", action="store_true", help="process stored messages not processed yet")
        parser.add_argument("--list", action="store_true", help="list the latest messages and their outcome")
        parser.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
        subs = parser.add_subparsers(dest="subcommand", required=False)
        templates = subs.add_parser("templates", help="the wording of the emails opsdesk sends")
        actions = templates.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="every email and audience, shipped or customised")
        for name, text in (("show", "the wording that applies, its variables and the shipped text"),
                           ("set", "store wording (checked first: a bad template changes nothing)"),
                           ("reset", "back to the shipped wording")):
            action = actions.add_parser(name, help=text)
            action.add_argument("key", help="e.g. paging.page, inbound.unknown_sender, notification")
            action.add_argument("audience", help="responders, staff, client or public")
            action.add_argument("--client", type=int, help="one client's own wording (audience client)")
            if name == "set":
                action.add_argument("--subject", help="the subject template")
                action.add_argument("--body-file", help="a file holding the body template ('-': standard input)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("subcommand") == "templates":
            try:
                self._templates(options)
            except DomainError as exc:
                raise CommandError(exc.detail) from None
            return
        if options["process_pending"]:
            done = services.process_pending()
            self.stdout.write(", ".join(f"{state}: {n}" for state, n in sorted(done.items())) or "nothing pending")
            return
        if options["list"]:
            self._list(max(1, min(options["limit"], 1000)))
            return
        self._serve(options["host"].strip("[]"), options["port"], options["lmtp"])

    def _list(self, limit: int) -> None:
        table = Table("id", "received", "from", "subject", "state", "outcome", "became")
        for m in queries.list_messages()[:limit]:
            became = f"{m.target_type} {m.target_id}" if m.target_id else ""
            table.add_row(str(m.pk), m.received_at.isoformat(timespec="seconds"), m.sender or m.mail_from or "<>",
                          m.subject[:60], m.state, m.outcome, became)
        out: Any = getattr(self.stdout, "_out", self.stdout)
        Console(file=out, width=160).print(table)

    def _templates(self, options: dict[str, Any]) -> None:
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, width=160)
        if options["action"] == "list":
            table = Table("email", "audience", "what it is", "wording")
            for e in mail_templates.list_templates():
                clients = f", {len(e['client_overrides'])} client(s) with their own" if e["client_overrides"] else ""
                table.add_row(e["key"], e["audience"], e["description"],
                              ("customised" if e["override"] else "shipped") + clients)
            console.print(table)
            return
        key, audience, client_id = options["key"], options["audience"], options.get("client")
        actor = SystemActor("cli")
        if options["action"] == "set":
            body = None
            if options.get("body_file"):
                path = options["body_file"]
                body = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            mail_template_services.set_override(key, audience, subject=options.get("subject"), body=body,
                                                client_id=client_id, actor=actor)
            self.stdout.write(f"stored the wording of {key} for {audience}" + (f" (client {client_id})" if client_id else ""))
            return
        if options["action"] == "reset":
            done = mail_template_services.reset(key, audience, client_id=client_id, actor=actor)
            self.stdout.write(f"{key} for {audience}: " + ("back to the shipped wording" if done else "already the shipped wording"))
            return
        entry = mail_templates.get_template(None, key, audience)
        own: dict[str, Any] | None = next(
            (o for o in entry["client_overrides"] if o["client"] == client_id), None) if client_id else None
        current: dict[str, Any] = own or entry["override"] or entry["default"]
        source = "client's own" if own else "customised" if entry["override"] else "shipped"
        self.stdout.write(f"{key} for {audience} ({source}): {entry['description']}\n")
        self.stdout.write(f"Subject: {current['subject']}\n\n{current['body']}\n")
        self.stdout.write("Variables:")
        for v in entry["variables"]:
            self.stdout.write(f"  {v['name']}: {v['description']}")

    def _serve(self, host: str, port: int, lmtp: bool) -> None:
        controller = MailController(host=host, port=port, lmtp=lmtp)
        try:
            controller.start()
        except Exception as exc:  # the port is taken, or the address is not ours
            raise CommandError(f"opsdesk mail could not listen on {host}:{port}: {exc}") from None
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: stop.set())
        url_host = f"[{host}]" if ":" in host else host
        kind = "lmtp" if lmtp else "smtp"
        self.stdout.write(f"opsdesk mail is listening at {kind}://{url_host}:{port}/", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
