"""Sign-in and API-token throttling on top of django-axes: client address, lockout answers.

Password sign-ins go through axes' backend and signals (per username and per address). Bearer
and calendar tokens are throttled here, by address and by the token's prefix (its first
characters, what ``ApiToken.prefix`` stores), in the same axes tables; the API answers 429.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .errors import DomainError

logger = logging.getLogger(__name__)
TOKEN_LABEL = "token:"  # ':' is not allowed in usernames, so token labels never meet a user
TOKEN_PREFIX_LENGTH = 10


class Throttled(DomainError):
    """Too many failed attempts from this address or with this token; retry later."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with OPSDESK_TRUSTED_PROXIES=N the address the
    N-th proxy from us saw (X-Forwarded-For, counted from the right; the rest can be forged)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.OPSDESK_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded: list[str] = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def lockout_parameters(request: Any, credentials: dict[str, Any] | None = None) -> list[str]:
    """Lock per username and per address; an attempt without a username only per address."""
    username = (credentials or {}).get("username")
    if username is None and isinstance(request, AccessAttempt):
        username = request.username
    return ["username", "ip_address"] if username else ["ip_address"]


class PasswordLockoutBackend(AxesStandaloneBackend):
    """axes' lockout check for password sign-ins; tokens are throttled by the token path (429)."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        if "bearer_token" in kwargs or request is None:
            return None  # tokens: the token path; no request: not a client's attempt (CLI, tests)
        return super().authenticate(request, username=username, password=password, **kwargs)


class Handler(AxesDatabaseHandler):
    """axes' database handler; failed bearer tokens are counted by `token_failed` instead (with
    their prefix), not a second time from Django's user_login_failed signal."""

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        if "bearer_token" in (credentials or {}):
            return
        super().user_login_failed(sender, credentials, request, **kwargs)


def retry_at(request: HttpRequest, credentials: dict[str, Any]) -> dt.datetime | None:
    """When the lockout of this request's username or address ends (None: not locked)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    AxesProxyHandler.update_request(request)
    limit = get_failure_limit(request, credentials)
    now = timezone.now()
    ends: list[dt.datetime] = []
    params = get_client_parameters(
        credentials.get("username"), request.axes_ip_address, request.axes_user_agent,  # type: ignore[attr-defined]
        request, credentials,
    )
    for filters in params:
        rows = AccessAttempt.objects.filter(**filters, attempt_time__gte=now - cool_off).order_by("-attempt_time")
        total = 0
        for attempt_time, failures in rows.values_list("attempt_time", "failures_since_start"):
            total += failures
            if total >= limit:  # locked until this row falls out of the window
                ends.append(attempt_time + cool_off)
                break
    return max(ends) if ends else None


def seconds_until(when: dt.datetime | None) -> int:
    """Whole seconds from now until `when` (at least 1)."""
    if when is None:
        return max(1, int(settings.OPSDESK_LOGIN_LOCKOUT_MINUTES * 60))
    return max(1, math.ceil((when - timezone.now()).total_seconds()))


def lockout_message(retry: dt.datetime | None) -> str:
    """The sign-in page's answer during a lockout: why, and when to try again (UTC)."""
    seconds = seconds_until(retry)
    minutes = max(1, math.ceil(seconds / 60))
    at = (retry or timezone.now() + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)
    return (
        "Too many failed sign-in attempts for this username or from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''} (after {at:%H:%M} UTC), "
        "or ask an administrator to unlock it."
    )


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: dict[str, Any] | None = None) -> HttpResponse:
    """axes' lockout answer (AXES_LOCKOUT_CALLABLE): the sign-in page with the message, 429."""
    from django.contrib.auth.forms import AuthenticationForm

    creds = credentials or {}
    retry = retry_at(request, {"username": creds.get("username")})
    if request.path.startswith("/api/") or request.path.endswith(".ics"):
        from .api import problem  # the token path's answer: problem details, as its Throttled

        seconds = seconds_until(retry)
        answer = problem(429, "Too many requests", "Too many failed API token attempts from this address or with this token; "
                         f"try again in {seconds} seconds.")
        answer["Retry-After"] = str(seconds)
        return answer
    form = AuthenticationForm(request, initial={"username": creds.get("username") or ""})
    response = render(
        request, "opsdesk/login.html",
        {"form": form, "lockout": lockout_message(retry), "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(seconds_until(retry))
    return response


# -- API tokens ------------------------------------------------------------------------------------


def token_label(raw: str) -> str:
    """The lockout key of a token: its prefix, as shown in token lists."""
    return TOKEN_LABEL + raw[:TOKEN_PREFIX_LENGTH]


def _token_refusal(request: HttpRequest, raw: str) -> Throttled | None:
    credentials = {"username": token_label(raw)}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    seconds = seconds_until(retry_at(request, credentials))
    return Throttled(
        "Too many failed API token attempts from this address or with this token; "
        f"try again in {seconds} seconds.",
        retry_after=seconds,
    )


def ensure_token_allowed(request: HttpRequest, raw: str) -> None:
    """Raise Throttled (429) while this address or token prefix is locked out."""
    refusal = _token_refusal(request, raw)
    if refusal is not None:
        logger.warning("token attempt refused (locked out) from %s, prefix %s", client_address(request), raw[:TOKEN_PREFIX_LENGTH])
        raise refusal


def token_failed(request: HttpRequest, raw: str) -> None:
    """Count a failed token (unknown, revoked, inactive user); Throttled once over the limit."""
    AxesProxyHandler.user_login_failed("opsdesk.tokens", {"username": token_label(raw)}, request)
    if getattr(request, "axes_locked_out", False):
        refusal = _token_refusal(request, raw)
        if refusal is not None:
            raise refusal
