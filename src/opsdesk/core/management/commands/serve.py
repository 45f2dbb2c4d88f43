"""`opsdesk serve`: the web server (gunicorn), one background worker and the alert intake, run together.

For the embedded default (one machine, SQLite). All run as child processes in one process
group of their own; SIGINT/SIGTERM to `serve` are forwarded to that group once (as SIGTERM:
they stop gracefully; a second signal kills them). When any child exits, the others are
stopped and `serve` exits with the first one's status. Static files come from whitenoise.
The alert intake (`opsdesk intake`, on `--intake-port`) is the lean server for monitoring
senders; the web port accepts the same deliveries too. `--no-intake` leaves it out.

Each child dies with `serve` (opsdesk.core.lifeline: PR_SET_PDEATHSIG on Linux; gunicorn's workers
with their master), so after a `kill -9` of `serve` nothing keeps the ports and a supervisor's
restart comes up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opsdesk.core.lifeline import child_setup
from opsdesk.core.metrics import registry as metrics

GRACE_SECONDS = 20.0


def wait_listening(
    host: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 30
) -> bool:
    """True once something accepts connections on host:port (False if `proc` died first)."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host.strip("[]")  # noqa: S104
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((target, port), timeout=1):
            return True
        time.sleep(0.1)
    return False


def port_free_or_fail(host: str, port: int, option: str = "--port") -> None:
    """A clear error, before starting anything, when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.strerror}); try {option}"
            ) from exc


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn serving opsdesk with threaded workers, access log on stdout."""
    cmd = [sys.executable, "-m", "gunicorn", "opsdesk.wsgi:application"]
    cmd += ["--bind", f"{host}:{port}", "--workers", str(workers)]
    cmd += ["--worker-class", "gthread", "--threads", str(threads)]
    cmd += ["--graceful-timeout", "10", "--access-logfile", "-"]
    cmd += ["--config", "python:opsdesk.core.gunicorn_conf"]  # redacted logs, workers die with master
    if has_control_socket():
        cmd.append("--no-control-socket")  # no runtime admin socket under $HOME
    return cmd


def has_control_socket() -> bool:
    """Whether this gunicorn has the (newer) control socket setting."""
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket" for setting in KNOWN_SETTINGS)


class Command(BaseCommand):
    """Serve opsdesk: gunicorn (gthread workers) plus `opsdesk worker`, stopped together."""

    help = "Run the web server and the background worker (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--workers", type=int, default=2, help="web worker processes (default 2)"
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per web worker (default 4)"
        )
        parser.add_argument(
            "--intake-port",
            type=int,
            default=settings.INTAKE_PORT,
            help=f"port of the alert intake server (default {settings.INTAKE_PORT})",
        )
        parser.add_argument(
            "--no-intake", action="store_true", help="do not start the alert intake server"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Start the children, forward signals, and stop them all when one exits."""
        host, port = options["host"], options["port"]
        intake_port = None if options["no_intake"] else options["intake_port"]
        port_free_or_fail(host, port)
        if intake_port is not None:
            port_free_or_fail(host, intake_port, "--intake-port (or --no-intake)")
        metrics.clear_stopped_processes()  # counters start again from the processes alive
        web_cmd = gunicorn_command(host, port, options["workers"], options["threads"])
        others = {"worker": [sys.executable, "-m", "opsdesk.cli", "worker"]}
        if intake_port is not None:
            others["alert intake"] = [
                sys.executable, "-m", "opsdesk.cli", "intake", "--host", host, "--port", str(intake_port)
            ]
        # Children inherit the environment (DJANGO_SETTINGS_MODULE, OPSDESK_*) as it is.
        # Each child gets SIGTERM when serve dies, however it dies (kill -9 included).
        web = subprocess.Popen(web_cmd, process_group=0, preexec_fn=child_setup())  # noqa: S603
        procs = {"web server": web}
        try:
            for name, cmd in others.items():
                # The intake's own "listening" line would race ours: serve says where it is.
                out = subprocess.DEVNULL if name == "alert intake" else None
                procs[name] = subprocess.Popen(  # noqa: S603
                    cmd, process_group=web.pid, stdout=out, preexec_fn=child_setup()
                )
        except OSError:
            for proc in procs.values():
                proc.kill()
            raise
        group = web.pid
        stopping = {"signals": 0}

        def forward(signum: int, frame: FrameType | None) -> None:
            stopping["signals"] += 1
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM if stopping["signals"] == 1 else signal.SIGKILL)

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, forward)

        url_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if wait_listening(host, port, web):
            self.stdout.write(
                self.style.SUCCESS(f"opsdesk is running at http://{url_host}:{port}/")
            )
            if intake_port is not None and wait_listening(host, intake_port, procs["alert intake"]):
                self.stdout.write(f"Alert intake at http://{url_host}:{intake_port}/ (POST /v2/enqueue, "
                                  "/api/v1/integrations/{kind}/{key})")
            self.stdout.write("Press Ctrl+C to stop.")
            self.stdout.flush()
        code = self.supervise(procs, group, stopping)
        if code and not stopping["signals"]:
            raise CommandError(
                f"a child process exited with status {code}; stopped", returncode=code
            )

    def supervise(
        self, procs: dict[str, subprocess.Popen[bytes]], group: int, stopping: dict[str, int]
    ) -> int:
        """Wait until one child exits, stop the rest (SIGTERM, then SIGKILL); first exit status."""
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.2)
        name, first = next((n, p) for n, p in procs.items() if p.returncode is not None)
        if not stopping["signals"]:
            self.stderr.write(f"The {name} exited ({first.returncode}); stopping the rest.")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                proc.wait()
        code = first.returncode or 0
        return 128 - code if code < 0 else code  # killed by signal N -> 128+N, like a shell
