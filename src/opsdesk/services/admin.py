"""Admin for services (dependencies inline) and dependency edges."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.core.admin import TimelineAdminMixin

from .models import Service, ServiceDependency


class DependencyInline(admin.TabularInline[ServiceDependency, Service]):
    """What this service depends on (cycles are refused by ServiceDependency.clean)."""

    model = ServiceDependency
    fk_name = "service"
    extra = 0
    autocomplete_fields = ("depends_on",)
    verbose_name = "dependency"
    verbose_name_plural = "depends on"


@admin.register(Service)
class ServiceAdmin(TimelineAdminMixin, admin.ModelAdmin[Service]):
    """Services and configuration items."""

    list_display = ("name", "code", "client", "criticality", "kind")
    list_filter = ("client", "criticality", "kind")
    search_fields = ("name", "code", "description")
    list_select_related = ("client",)
    filter_horizontal = ("sites",)
    inlines = (DependencyInline,)


@admin.register(ServiceDependency)
class ServiceDependencyAdmin(TimelineAdminMixin, admin.ModelAdmin[ServiceDependency]):
    """Dependency edges: `service` depends on `depends_on`."""

    list_display = ("service", "depends_on", "note")
    search_fields = ("service__name", "depends_on__name", "note")
    list_select_related = ("service", "depends_on")
    autocomplete_fields = ("service", "depends_on")
