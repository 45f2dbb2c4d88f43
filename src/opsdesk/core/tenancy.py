"""The one place that scopes querysets to what a user may see.

Each model declares, as the class attribute ``tenant_path``, how it reaches a client:
an ORM lookup ending at a client id (``"client"``, ``"clients"``, ``"site__clients"``),
``PUBLIC`` for reference data every signed-in user may read (regions), or ``STAFF_ONLY``
for records client users never see (engineers, users, tokens). Staff see everything.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeVar

from django.db.models import Model, QuerySet

from .errors import NotFound

PUBLIC = "__public__"
STAFF_ONLY = "__staff_only__"

M = TypeVar("M", bound=Model)


class Viewer(Protocol):
    """What tenancy needs to know about a user."""

    is_authenticated: bool
    client_id: int | None

    @property
    def is_client_user(self) -> bool: ...


def tenant_path(model: type[Model]) -> str:
    """The model's declared path to a client; undeclared models are staff-only."""
    return getattr(model, "tenant_path", STAFF_ONLY)


def scope(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """Restrict a queryset to the rows `user` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    if not getattr(user, "is_client_user", False):
        return queryset
    path = tenant_path(queryset.model)
    if path == PUBLIC:
        return queryset
    if path == STAFF_ONLY or user.client_id is None:
        return queryset.none()
    filtered = queryset.filter(**{path: user.client_id})
    # A many-valued path (a site serving several clients) can repeat rows.
    return filtered.distinct() if "__" in path or path.endswith("s") else filtered


def get_scoped(queryset: QuerySet[M], user: Any, **lookup: Any) -> M:
    """One object the user may see, or NotFound (the same answer whether it exists or not)."""
    obj = scope(queryset, user).filter(**lookup).first()
    if obj is None:
        raise NotFound(f"No {queryset.model._meta.verbose_name} matches {_describe(lookup)}.")
    return obj


def can_see(user: Any, obj: Model) -> bool:
    """Whether `user` may see this object."""
    return scope(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def _describe(lookup: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in lookup.items()) or "that request"


# -- a shared object as one client's user reads it -----------------------------------------------
#
# An object several clients share (a change at a shared site, an incident impacting several
# clients) is shown to a client user reduced to their own part: each app's client view keeps the
# related rows the reader may see (`visible_ids`) and passes every sentence through the reader's
# `Redactor`, which replaces what other clients' things are called (names, codes, users, their
# own sites and services) with a neutral word. Staff read everything as it is.


def is_client_reader(user: Any) -> bool:
    """Whether `user` reads shared objects reduced to their own client's part."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_client_user", False))


def visible_ids(queryset: QuerySet[M], user: Any, ids: Any) -> set[int]:
    """The ids among `ids` whose rows (of the queryset's model) the user may see."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(scope(queryset.filter(pk__in=wanted), user).values_list("pk", flat=True))


class Redactor:
    """Replaces other clients' names in text with neutral words, whole words only, ignoring case."""

    def __init__(self, replacements: dict[str, str], plurals: dict[str, str] | None = None) -> None:
        self.replacements = {k.lower(): v for k, v in replacements.items() if k and k.strip()}
        # A list naming several hidden things ("another site, another site") says how many instead.
        self._runs = [
            (re.compile(rf"{re.escape(word)}(?:, {re.escape(word)})+(?![\w'])"), word, plural)
            for word, plural in (plurals or {}).items()
        ]
        names = sorted(self.replacements, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])", re.IGNORECASE)
            if names else None
        )

    def text(self, value: str) -> str:
        """`value` with every other client's name replaced."""
        if not value or self._pattern is None:
            return value
        out = self._pattern.sub(self._replace, value)
        for run, word, plural in self._runs:
            out = run.sub(_counted(word, plural), out)
        return out

    def _replace(self, match: re.Match[str]) -> str:
        word = self.replacements[match.group(1).lower()]
        before = match.string[: match.start()].rstrip()
        # A sentence that began with the name begins with the neutral word.
        return word[:1].upper() + word[1:] if not before or before[-1] in ".!?\n" else word

    def data(self, value: Any) -> Any:
        """JSON-like data with every string redacted (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value


def _counted(word: str, plural: str) -> Any:
    def say(match: re.Match[str]) -> str:
        return f"{match.group(0).count(word)} {plural}"

    return say


NO_REDACTION = Redactor({})


def visible_refs(refs: Any, user: Any) -> set[str]:
    """The '<app>.<model>:<id>' references (core.schedule's) whose objects the user may see."""
    from django.apps import apps

    by_model: dict[str, dict[int, str]] = {}
    for ref in refs:
        label, _, pk = ref.partition(":")
        if pk.isdigit():
            by_model.setdefault(label, {})[int(pk)] = ref
    found: set[str] = set()
    for label, ids in by_model.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        found |= {ids[i] for i in visible_ids(model._default_manager.all(), user, ids)}
    return found


def filters_hidden(user: Any, **filters: tuple[QuerySet[Any], Any]) -> bool:
    """Whether a list filter names an object the user may not see (name=(queryset of its model, id)).

    A client user filtering shared objects by another client, or by a site or service only another
    client has, gets an empty list: a non-empty one would tell them which objects that client shares.
    """
    if not is_client_reader(user):
        return False
    return any(
        value is not None and not visible_ids(qs, user, [value]) for qs, value in filters.values()
    )


class ReducedRows:
    """A relation reduced to what one reader may see: `.all()` like a manager's, for templates and schemas alike."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Any:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def count(self) -> int:
        return len(self._rows)
