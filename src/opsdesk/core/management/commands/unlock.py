"""`opsdesk unlock USERNAME | --address IP`: clear a sign-in (or API token) lockout."""

from __future__ import annotations

from typing import Any

from axes.utils import reset
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsdesk.core.audit import record_audit


class Command(BaseCommand):
    help = (
        "Clear the failed attempts (and so the lockout) of a username, of an address, or of an API "
        "token prefix (give it as token:odk_xxxxxx)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="the username (or token:<prefix>) to unlock")
        parser.add_argument("--address", help="the client address to unlock")

    def handle(self, *args: Any, **options: Any) -> None:
        username, address = options.get("username"), options.get("address")
        if not username and not address:
            raise CommandError("Give a USERNAME or --address IP.")
        count = 0
        if username:
            count += reset(username=username)
        if address:
            count += reset(ip=address)
        record_audit(
            "auth.unlock", actor="cli", target=f"username:{username}" if username else f"address:{address}",
            detail={"username": username, "address": address, "attempts_cleared": count},
        )
        self.stdout.write(f"{count} failed-attempt record(s) cleared; {username or address} can sign in again.")
