"""Children that die with their parent: Linux's PR_SET_PDEATHSIG, set in each child process.

`opsdesk serve` sets it in its children (gunicorn, the worker, the intake) between fork and exec,
and gunicorn's master in its workers (opsdesk.core.gunicorn_conf.post_fork). So a `kill -9` of
`serve` (or of gunicorn's master) stops everything below it, and a supervisor that restarts
`serve` finds its ports free. Elsewhere than Linux it does nothing (signal the process group).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # loaded before any fork: the child between fork and exec only calls it


def die_with_parent(sig: int = signal.SIGTERM, parent: int | None = None) -> bool:
    """Have the kernel send `sig` to this process when its parent dies; False where unsupported.

    `parent`: the pid the parent had; when it is already gone (it died before this ran) the
    signal is sent now, so there is no window in which the child outlives it unnoticed."""
    if _PRCTL is None or _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)
    return True


def child_setup(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` when the calling process dies."""
    parent = os.getpid()

    def setup() -> None:
        die_with_parent(sig, parent)

    return setup
