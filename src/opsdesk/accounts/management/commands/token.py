"""`opsdesk token create|list|revoke`: API tokens from the command line.

``token create`` prints only the raw token (one line), so it can be captured:
``TOKEN=$(opsdesk token create admin)``.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from opsdesk.accounts import rules, services
from opsdesk.accounts.models import User
from opsdesk.accounts.queries import list_own_tokens
from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError

CLI_ACTOR = SystemActor("cli")


def lookup_user(username: str) -> User:
    """The user with this username (the operator sees all users), or a CommandError."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user '{username}'")
    return user


def when(value: dt.datetime | None) -> str:
    """A timestamp in UTC to the minute, or a dash."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


class Command(BaseCommand):
    """Create, list and revoke API tokens."""

    help = "Manage API tokens: create USERNAME | list USERNAME | revoke ID"

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a token; prints only the token")
        create.add_argument("username")
        create.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=rules.TOKEN_SCOPES,
            help="read, write or calendar (feeds only); repeat for several (default: read and write)",
        )
        create.add_argument("--name", default="", help="a label to recognise the token")
        listing = actions.add_parser("list", help="a user's tokens")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="revoke a token by id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        """Dispatch to the action."""
        try:
            getattr(self, f"do_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc

    def do_create(self, options: dict[str, Any]) -> None:
        """Issue a token and print it, nothing else."""
        user = lookup_user(options["username"])
        _, raw = services.create_token(
            user,
            scopes=options["scopes"] or ["read", "write"],
            name=options["name"],
            actor=CLI_ACTOR,
        )
        self.stdout.write(raw)

    def do_list(self, options: dict[str, Any]) -> None:
        """A table of the user's tokens."""
        user = lookup_user(options["username"])
        table = Table(title=f"API tokens of {user.username}")
        for column in ("id", "prefix", "name", "scopes", "created", "last used", "revoked"):
            table.add_column(column, no_wrap=column != "name")
        for token in list_own_tokens(user):
            table.add_row(
                str(token.pk),
                f"{token.prefix}…",
                token.name,
                ", ".join(token.scopes),
                when(token.created_at),
                when(token.last_used_at),
                when(token.revoked_at),
            )
        # Piped output gets a wide table instead of rich's 80-column default.
        width = None if self.stdout.isatty() else 160
        Console(file=self.stdout, width=width).print(table)  # type: ignore[arg-type]

    def do_revoke(self, options: dict[str, Any]) -> None:
        """Revoke one token; it stops working at once."""
        token = services.revoke_token(options["token_id"], actor=CLI_ACTOR)
        self.stdout.write(
            f"Token {token.pk} ({token.prefix}…) of {token.user.username} is revoked."
        )
