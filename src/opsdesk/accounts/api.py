"""Users and API tokens (thin edges)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_scope, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id
from opsdesk.tenancy.queries import get_client

from . import queries, services
from .models import ApiToken, User
from .schemas import TokenCreatedOut, TokenIn, TokenOut, UserIn, UserOut, UserPatch

router = Router()


@router.get("/users/me", response=UserOut, tags=["users"])
def me(request: HttpRequest) -> User:
    """The signed-in user."""
    return signed_in(request.user)


@router.get("/users", response=list[UserOut], tags=["users"])
@paginate(Page)
def list_users(request: HttpRequest, role: str | None = None, client: Id | None = None) -> QuerySet[User]:
    """Users you may see (client users: their own client's)."""
    return queries.list_users(request.user, role=role, client=client)


@router.post("/users", response={201: UserOut}, tags=["users"])
@answers(404)
def create_user(request: HttpRequest, payload: UserIn) -> Status[User]:
    """Add a user (administrators)."""
    require_write(request, "users.write")
    data = payload.dict()
    client_id = data.pop("client")
    client = get_client(request.user, client_id) if client_id is not None else None
    return Status(201, services.create_user(**data, client=client, actor=signed_in(request.user)))


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
@paginate(Page)
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    """Your API tokens."""
    return queries.list_own_tokens(request.user)


@router.post("/tokens", response={201: TokenCreatedOut}, tags=["tokens"])
def create_token(request: HttpRequest, payload: TokenIn) -> Status[ApiToken]:
    """Issue a token for yourself; its value is shown once."""
    require_scope(request, "write")
    user: Any = request.user
    token, raw = services.create_token(user, scopes=payload.scopes, name=payload.name, actor=user)
    token.token = raw  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{int:token_id}", response={204: None}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: Id) -> Status[None]:
    """Revoke one of your tokens."""
    require_scope(request, "write")
    token = queries.get_own_token(request.user, token_id)
    services.revoke_token(token.pk, actor=signed_in(request.user))
    return Status(204, None)


add_object_routes(router, ObjectRoutes(
    collection="users", noun="user", tag="users", permission="users.write", out=UserOut,
    get=queries.get_user, patch=UserPatch, update=services.update_user,
))
