"""Use cases for users and tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from opsdesk.core import clock, throttle, timeline
from opsdesk.core.actors import Actor
from opsdesk.core.audit import record_audit, target_of
from opsdesk.core.errors import InvalidInput, NotFound, field_error
from opsdesk.tenancy.models import Client

from . import rules
from .models import ApiToken, User

TOKEN_PREFIX = "odk_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    """SHA-256 hex of a token (tokens are 256-bit random, so a fast hash is right)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    client: Client | None = None,
    first_name: str = "",
    last_name: str = "",
    actor: Actor | None = None,
    check_password: bool = True,
) -> User:
    """Create a user with one role; client users must name their client."""
    if role not in rules.ROLES:
        raise field_error("role", f"unknown role '{role}'; roles: {', '.join(rules.ROLES)}")
    if role == "client" and client is None:
        raise field_error("client", "a client user must belong to a client")
    if role != "client" and client is not None:
        raise field_error("client", "only client users belong to a client")
    if User.objects.filter(username=username).exists():
        raise field_error("username", f"'{username}' is taken")
    user = User(
        username=username, role=role, email=email, client=client,
        first_name=first_name, last_name=last_name,
        is_staff=role == "admin", is_superuser=role == "admin",
    )
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except Exception as exc:
                raise field_error("password", " ".join(getattr(exc, "messages", [str(exc)]))) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    timeline.record(user, "created", actor=actor, summary=f"User {username} ({role}) created")
    record_audit("user.created", actor=actor, target=target_of(user), after={"username": username, **access_of(user)})
    return user


@transaction.atomic
def create_token(user: User, *, scopes: list[str], name: str = "", actor: Actor | None = None) -> tuple[ApiToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    try:
        scopes = rules.validate_scopes(scopes or ["read", "write"])
    except ValueError as exc:
        raise field_error("scopes", str(exc)) from exc
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw),
        scopes=scopes, created_at=clock.now(),
    )
    timeline.record(user, "token_created", actor=actor, summary=f"API token {token.prefix}… ({', '.join(scopes)})")
    record_audit(
        "token.created", actor=actor, target=f"token:{token.prefix}",
        after={"token": token.pk, "user": user.get_username(), "scopes": scopes, "name": name},
    )
    return token, raw


@transaction.atomic
def revoke_token(token_id: int, *, actor: Actor | None = None) -> ApiToken:
    """Revoke a token; it stops working at once."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"No API token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        timeline.record(token.user, "token_revoked", actor=actor, summary=f"API token {token.prefix}… revoked")
        record_audit(
            "token.revoked", actor=actor, target=f"token:{token.prefix}",
            before={"revoked_at": None}, after={"revoked_at": token.revoked_at},
            detail={"token": token.pk, "user": token.user.get_username()},
        )
    return token


def authenticate_token(raw: str, request: Any = None) -> User | None:
    """The active user behind a valid, unrevoked token, with its scopes attached.

    With the request, failures are counted per address and token prefix and, over the limit,
    refused with Throttled (429) before the token is looked at.
    """
    if request is None:
        return _token_user(raw)
    throttle.ensure_token_allowed(request, raw)
    user = _token_user(raw)
    if user is None:
        record_audit(
            "auth.token_failed", address=throttle.client_address(request),
            target=throttle.token_label(raw), detail={"path": request.path[:200]},
        )
        throttle.token_failed(request, raw)
    return user


def _token_user(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Recorded at minute resolution so reads do not become writes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.token_scopes = list(token.scopes)  # type: ignore[attr-defined]
    return user


def require_valid_role(role: str) -> str:
    """Return the role if known, else InvalidInput."""
    if role not in rules.ROLES:
        raise InvalidInput(f"unknown role '{role}'")
    return role


@transaction.atomic
def update_user(user: User, data: dict[str, Any], *, actor: User) -> User:
    """Change a user's profile or deactivate them."""
    from opsdesk.core import crud
    from opsdesk.core.clock import validate_time_zone

    if data.get("time_zone") is not None:
        try:
            validate_time_zone(data["time_zone"])
        except ValueError as exc:
            raise field_error("time_zone", str(exc)) from exc
    before = access_of(user)
    crud.update(user, data, actor=actor)
    record_access_change(user, before, actor=actor)
    return user


ACCESS_FIELDS = ("role", "client_id", "is_active", "is_staff", "is_superuser")


def access_of(user: User) -> dict[str, Any]:
    """What decides a user's access: role, client, active, staff and superuser flags."""
    return {name: getattr(user, name) for name in ACCESS_FIELDS}


def record_access_change(user: User, before: dict[str, Any], *, actor: User) -> None:
    """Audit a change of a user's role, client or access flags (API, admin), if any."""
    after = access_of(user)
    changed = [k for k in ACCESS_FIELDS if before.get(k) != after[k]]
    if changed:
        record_audit(
            "user.role_changed", actor=actor, target=target_of(user),
            before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed},
            detail={"username": user.get_username()},
        )
