"""`opsdesk intake`: the lean alert intake server (alerts.intake.server) on its own port.

uvicorn with uvloop and httptools, one process: parsing on the event loop, one writer thread
committing deliveries in groups. `opsdesk serve` starts it as a child (`--intake-port`).
"""

from __future__ import annotations

import gc
import signal
import socket
import sys
from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opsdesk.alerts.intake.server import IntakeApp

# How often a thread waiting for the GIL asks for it (default 5 ms): the writer thread needs it
# briefly around each commit while the event loop is busy parsing.
SWITCH_INTERVAL = 0.001


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it listens once it does."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host = self.config.host
            url_host = f"[{host}]" if ":" in host else host
            print(f"opsdesk alert intake is listening at http://{url_host}:{self.config.port}/", flush=True)


class Command(BaseCommand):
    """Run the lean alert intake server."""

    help = "Run the alert intake server (POST /v2/enqueue, /api/v1/integrations/{kind}/{key})."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument(
            "--port", type=int, default=settings.INTAKE_PORT, help=f"port (default {settings.INTAKE_PORT})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Serve until SIGINT/SIGTERM; what was accepted is stored before the process ends."""
        config = uvicorn.Config(
            IntakeApp(),
            host=options["host"].strip("[]"),
            port=options["port"],
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level="warning",
            log_config=None,  # uvicorn's loggers go through Django's handler, which redacts keys
            backlog=4096,
            timeout_keep_alive=75,  # longer than Alertmanager's and Grafana's idle connections
            server_header=False,
        )
        server = _Server(config)
        # The loaded code lives as long as the process: keep it out of the collector's scans.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        sys.setswitchinterval(SWITCH_INTERVAL)
        # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
        # that was there before it: make that a no-op, so a graceful stop exits 0 like the worker.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: None)
        server.run()
        if not server.started:
            raise CommandError(f"the intake could not listen on {options['host']}:{options['port']}")
