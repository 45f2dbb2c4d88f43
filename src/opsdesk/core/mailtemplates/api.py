"""Email wording API (thin edges): staff read every email opsdesk sends with its variables; those
with `mail_templates.write` store an override, reset it, and preview a template. Client users
find nothing here (404), as for every staff-only configuration."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from ..actors import signed_in
from ..api import require_write
from ..pagination import Page
from ..schemas import Id
from . import queries, services
from .schemas import MailPreviewIn, MailPreviewOut, MailTemplateIn, MailTemplateOut

router = Router(tags=["Mail templates"])
WRITE = "mail_templates.write"
ONE = "/mail-templates/{key}/{audience}"


@router.get("/mail-templates", response=list[MailTemplateOut])
@paginate(Page)
def list_mail_templates(request: HttpRequest) -> list[dict[str, Any]]:
    """Every email opsdesk sends, per audience: shipped text, variables, stored overrides (staff only)."""
    return queries.list_templates(request.user)


@router.get(ONE, response=MailTemplateOut)
def get_mail_template(request: HttpRequest, key: str, audience: str) -> dict[str, Any]:
    """One email and audience (staff only)."""
    return queries.get_template(request.user, key, audience)


@router.put(ONE, response=MailTemplateOut)
def set_mail_template(request: HttpRequest, key: str, audience: str, payload: MailTemplateIn) -> dict[str, Any]:
    """Store the wording (for every client, or one client's with `client`); 422 naming the field
    whose template does not compile or render, and then nothing is saved."""
    queries.get_template(request.user, key, audience)
    require_write(request, WRITE)
    services.set_override(key, audience, subject=payload.subject, body=payload.body, client_id=payload.client,
                          actor=signed_in(request.user))
    return queries.get_template(request.user, key, audience)


@router.delete(ONE, response={204: None})
def reset_mail_template(request: HttpRequest, key: str, audience: str,
                        client: Id | None = Query(None, description="Reset this client's own wording only")) -> Status[None]:
    """Back to the shipped text (with `client`: that client's users get the audience's wording again)."""
    queries.get_template(request.user, key, audience)
    require_write(request, WRITE)
    services.reset(key, audience, client_id=client, actor=signed_in(request.user))
    return Status(204, None)


@router.post(f"{ONE}/preview", response=MailPreviewOut)
def preview_mail_template(request: HttpRequest, key: str, audience: str, payload: MailPreviewIn) -> dict[str, str]:
    """Render texts (or what applies now) with the email's sample values; saves nothing."""
    queries.get_template(request.user, key, audience)
    return services.preview(key, audience, subject=payload.subject, body=payload.body, client_id=payload.client)
