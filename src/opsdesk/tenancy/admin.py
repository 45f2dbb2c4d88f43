"""Admin for clients."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import Client


@admin.register(Client)
class ClientAdmin(TimelineAdminMixin, admin.ModelAdmin[Client]):
    """Clients: the unit of tenancy."""

    list_display = ("name", "code", "contact_email", "created_at")
    search_fields = ("name", "code", "contact_email")
    prepopulated_fields = {"code": ("name",)}
