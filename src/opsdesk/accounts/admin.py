"""Admin for users (with role and client) and API tokens (view and revoke only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from opsdesk.core.actors import signed_in
from opsdesk.core.admin import TimelineAdminMixin

from . import services
from .models import ApiToken, User


@admin.register(User)
class UserAdmin(TimelineAdminMixin, DjangoUserAdmin[User]):
    """Users with their one role and, for client users, their client."""

    list_display = (
        "username",
        "get_full_name",
        "email",
        "role",
        "client",
        "is_active",
        "last_login",
    )
    list_filter = ("role", "client", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    list_select_related = ("client",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("opsdesk", {"fields": ("role", "client", "time_zone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("opsdesk", {"fields": ("role", "client", "email")}),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Save (timeline), then audit a change of role, client or access flags."""
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        before = services.access_of(stored) if stored is not None else {}
        super().save_model(request, obj, form, change)
        if change:
            services.record_access_change(obj, before, actor=signed_in(request.user))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are issued by `opsdesk token create`; here they can be seen and revoked."""

    list_display = ("prefix", "user", "name", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("user", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Raw token values are shown once by the CLI, so tokens are not made here."""
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        """Revoke the selected tokens at once."""
        for pk in queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True):
            services.revoke_token(pk, actor=signed_in(request.user))
