"""Who a service acts for: a person who signed in, or a named part of opsdesk itself.

Services take `actor` explicitly (DESIGN: services). Where only a person may act (an approval, a
role change) the signature says `User`; where opsdesk acts on its own too (the worker reopening an
incident, the CLI, an integration) it says `Actor`, which is either. The timeline and the audit log
record both the same way: a person as the user and their name, a system actor by its name alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypeVar, runtime_checkable

from django.contrib.auth.models import AnonymousUser

from .errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@runtime_checkable
class Person(Protocol):
    """What the kernel needs of a signed-in user (accounts.User is one)."""

    @property
    def is_authenticated(self) -> bool: ...

    def get_username(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """A named part of opsdesk that acts without a person: "opsdesk" (the worker), "cli", an
    integration. Never authenticated, so it is never mistaken for a user."""

    name: str

    @property
    def is_authenticated(self) -> bool:
        return False

    def get_username(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


OPSDESK = SystemActor("opsdesk")

# A person or a system actor. Where the kernel records who acted it also takes a request's user as
# it comes (perhaps anonymous: recorded as "system"), a bare name ("opsdesk") and None ("system").
Actor: TypeAlias = "AbstractBaseUser | SystemActor"
ActorRef: TypeAlias = "AbstractBaseUser | AnonymousUser | SystemActor | str | None"

U = TypeVar("U", bound="AbstractBaseUser")


def signed_in(user: U | AnonymousUser) -> U:
    """A request's user as the person who acts (`actor=signed_in(request.user)`): the edges' sign-in
    (the API's auth, `page_view`) comes first, so an anonymous user here is refused, never recorded."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user


def identify(actor: ActorRef) -> tuple[AbstractBaseUser | None, str]:
    """The user to link (None for a system actor) and the name to show ("" when nobody is named)."""
    if isinstance(actor, SystemActor):
        return None, actor.name
    if isinstance(actor, str):
        return None, actor
    if actor is None or isinstance(actor, AnonymousUser):
        return None, ""
    if getattr(actor, "is_authenticated", False):
        return actor, actor.get_username()
    return None, ""
