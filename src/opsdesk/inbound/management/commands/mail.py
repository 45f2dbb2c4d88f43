"""`opsdesk mail`: the inbound email listener (SMTP, or LMTP with --lmtp); `--process-pending`
processes what is stored and not processed yet; `--list` shows the latest messages."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.inbound import queries, services
from opsdesk.inbound.listener import MailController


class Command(BaseCommand):
    """Run the inbound mail listener, process pending messages, or list messages."""

    help = "Receive email (SMTP/LMTP) for opsdesk; --process-pending, --list [--limit N]."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=settings.OPSDESK_MAIL_PORT,
                            help=f"port (default {settings.OPSDESK_MAIL_PORT})")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP (for an MTA such as Postfix delivering here)")
        parser.add_argument("--process-pending", action="store_true", help="process stored messages not processed yet")
        parser.add_argument("--list", action="store_true", help="list the latest messages and their outcome")
        parser.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
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
