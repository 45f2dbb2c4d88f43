"""`opsdesk createuser USERNAME --role ROLE`: add a user from the command line."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from opsdesk.accounts import rules, services
from opsdesk.core.actors import SystemActor
from opsdesk.core.errors import DomainError
from opsdesk.tenancy.models import Client

CLI_ACTOR = SystemActor("cli")


def lookup_client(code: str | None) -> Client | None:
    """The client with this code (the operator sees all clients), or a CommandError."""
    if code is None:
        return None
    client = Client.objects.filter(code=code).first()
    if client is None:
        known = (
            ", ".join(Client.objects.order_by("code").values_list("code", flat=True)) or "none yet"
        )
        raise CommandError(f"unknown client '{code}'; clients: {known}")
    return client


def prompt_password() -> str:
    """Ask twice on the terminal."""
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("the passwords differ")
    if not first:
        raise CommandError("empty password; use --no-password for a user who cannot sign in")
    return first


class Command(BaseCommand):
    """Create a user with one role (client users name their client with --client CODE)."""

    help = "Create a user. Roles: " + ", ".join(rules.ROLES)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="one of: " + ", ".join(rules.ROLES))
        parser.add_argument("--client", help="client code (required for --role client)")
        parser.add_argument("--email", default="")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password", help="password (prompted when omitted on a terminal)")
        secret.add_argument(
            "--no-password",
            action="store_true",
            help="no usable password (token or SSO access only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Validate, create, report."""
        role = options["role"]
        if role not in rules.ROLES:
            raise CommandError(f"unknown role '{role}'; roles: {', '.join(rules.ROLES)}")
        client = lookup_client(options["client"])
        password = options["password"]
        if password is None and not options["no_password"]:
            if not sys.stdin.isatty():
                raise CommandError("give --password or --no-password (stdin is not a terminal)")
            password = prompt_password()
        try:
            user = services.create_user(
                username=options["username"],
                role=role,
                client=client,
                email=options["email"],
                password=password or None,
                actor=CLI_ACTOR,
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        where = f" of client {client.code}" if client else ""
        self.stdout.write(f"Created user {user.username} ({role}{where}).")
