"""Framework plumbing: Django's and axes' authentication signals become audit events."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed

from .audit import record_audit
from .throttle import TOKEN_LABEL, client_address


def _address(request: Any) -> str | None:
    return client_address(request) if request is not None else None


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_audit("auth.login", actor=user, address=_address(request), target=f"user:{user.pk}")


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if "bearer_token" in credentials:
        return  # recorded by the token path, which knows the token's prefix
    username = str(credentials.get("username") or "")[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    record_audit(
        "auth.login_failed", actor=username, address=_address(request), target=f"username:{username}",
        detail={"refused_while_locked_out": locked} if locked else {},
    )


def _locked_out(sender: Any, request: Any = None, username: str | None = None, ip_address: str | None = None, **kwargs: Any) -> None:
    # axes also signals each attempt refused during a lockout; record the lockout once, when the
    # failure that reached the limit was counted.
    if request is not None and getattr(request, "axes_failures_since_start", None) is None:
        return
    name = username or ""
    target = name if name.startswith(TOKEN_LABEL) else f"username:{name}"
    record_audit(
        "auth.lockout", actor="" if name.startswith(TOKEN_LABEL) else name, address=ip_address or _address(request),
        target=target, detail={"failures": getattr(request, "axes_failures_since_start", None)},
    )


def connect() -> None:
    """Connect the receivers (called once from CoreConfig.ready)."""
    user_logged_in.connect(_logged_in, dispatch_uid="opsdesk.audit.login")
    user_login_failed.connect(_login_failed, dispatch_uid="opsdesk.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="opsdesk.audit.lockout")
