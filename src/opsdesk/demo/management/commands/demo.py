"""`opsdesk demo`: load the demo organisation and print its logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opsdesk.demo import loader
from opsdesk.demo.context import SIZES, Login
from opsdesk.demo.data import DEMO_PASSWORD
from opsdesk.demo.users import demo_logins


class Command(BaseCommand):
    """Load the demo organisation into an empty database."""

    help = (
        "Load the demo organisation (regions, clients, sites with their rules, engineers, services, "
        "users) in one transaction, deterministically for a seed. It loads only into a database "
        "without organisation data: on a non-empty database it stops with an error, or with "
        "--if-empty it skips quietly and prints the existing demo logins. There is no reset: to "
        f"start again, use a fresh database. Every demo user's password is '{DEMO_PASSWORD}'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """--size, --seed, --work-orders, --if-empty."""
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="small (default) or large (10x the organisation and 1,000,000 generated work orders, for benchmarks)",
        )
        parser.add_argument(
            "--work-orders",
            type=int,
            default=None,
            metavar="N",
            help="generated work orders besides the curated ones (default: 0 small, 1,000,000 large)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=loader.DEFAULT_SEED,
            help=f"random seed; the same seed gives the same data (default {loader.DEFAULT_SEED})",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="skip without error when the database already holds data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Load, or skip when asked to and data exists; print logins either way."""
        console = self._console(no_color=options.get("no_color", False))
        if options["if_empty"] and loader.existing_data():
            console.print(
                "[bold]demo already loaded[/] (the database already holds data); nothing changed."
            )
            self._print_logins(console, demo_logins())
            return
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]demo[/] {task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("starting", total=len(loader.STEPS))

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total)

            try:
                ctx = loader.load(options["size"], options["seed"], progress=report, volume=options["work_orders"])
            except loader.DemoRefused as exc:
                raise CommandError(f"{exc}. Use --if-empty to skip, or a fresh database.") from exc
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{n} {label}" for label, n in ctx.counts.items())
        console.print(
            f"Loaded the {options['size']} demo (seed {options['seed']}) in {elapsed:.1f} s: {summary}."
        )
        self._print_logins(console, ctx.logins)
        for note in ctx.notes:
            console.print(note, soft_wrap=True)
        if ctx.notes:
            console.print("Keys are shown only now (opsdesk stores their hashes); rotate one with "
                          "`opsdesk integration rotate-key ID`.")

    def _console(self, *, no_color: bool) -> Console:
        """A rich console on the command's stdout (wide enough for tables when not a terminal)."""
        out: Any = getattr(self.stdout, "_out", self.stdout)
        console = Console(file=out, no_color=no_color)
        return console if console.is_terminal else Console(file=out, width=120, no_color=no_color)

    def _print_logins(self, console: Console, logins: list[Login]) -> None:
        """The logins as a table, with the shared password."""
        if not logins:
            console.print("No demo logins found.")
            return
        table = Table(title="Demo logins", title_justify="left")
        for column in ("username", "password", "role", "client", "name"):
            table.add_column(column)
        for login in logins:
            table.add_row(login.username, DEMO_PASSWORD, login.role, login.client, login.name)
        console.print(table)
