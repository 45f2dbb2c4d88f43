"""gunicorn's configuration for `opsdesk serve` (``--config python:opsdesk.core.gunicorn_conf``).

- Workers die with the master (PR_SET_PDEATHSIG), so a `kill -9` of the master frees the port.
- A worker that exits has its live-gauge metric files removed (prometheus_client multiprocess mode).
- Access and error log lines have credentials redacted (opsdesk.core.redact): integration keys in
  paths, calendar tokens in query strings.

Imports no Django: gunicorn reads it before the application is loaded.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from gunicorn import glogging

from opsdesk.core.lifeline import die_with_parent
from opsdesk.core.redact import RedactFilter


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with RedactFilter on every handler of its access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactFilter) for f in handler.filters):
                    handler.addFilter(RedactFilter())


logger_class = RedactingLogger


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: stop (gracefully) when the master is gone."""
    die_with_parent(signal.SIGTERM, parent=server.pid)


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker exits: prometheus_client's bookkeeping for a dead process."""
    # Set by opsdesk's settings for `opsdesk serve` and inherited; imported only then, so a gunicorn
    # started without it never fixes prometheus_client's mode for the workers it forks.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
