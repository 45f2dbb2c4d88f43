"""Regions, sites and the requirements that make each site different."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.tenancy import PUBLIC
from opsdesk.tenancy.models import Client

from . import rules
from .rules import default_business_hours


class Region(models.Model):
    """A delivery region such as EMEA, AMER or APAC."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)
    travel_speed_kmh = models.PositiveIntegerField(
        default=50, help_text="Average door-to-door speed used for travel estimates."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = PUBLIC

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place where work is delivered, with its own time zone, calendar and rules."""

    class Kind(models.TextChoices):
        DATA_CENTRE = "data_centre", "Data centre"
        HOSPITAL = "hospital", "Hospital"
        OFFICE = "office", "Office"
        COLOCATION = "colocation", "Colocation cage"
        CLINIC = "clinic", "Clinic"
        WAREHOUSE = "warehouse", "Warehouse"
        RETAIL = "retail", "Retail branch"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="sites")
    clients = models.ManyToManyField(Client, related_name="sites", blank=True)
    address = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    time_zone = models.CharField(max_length=64)
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    business_hours = models.JSONField(default=default_business_hours)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "clients"

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["region", "kind"])]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self) -> None:
        """Time zone, holiday calendar, coordinates and business hours must be valid."""
        errors: dict[str, str] = {}
        try:
            rules.validate_time_zone(self.time_zone)
        except ValueError as exc:
            errors["time_zone"] = str(exc)
        try:
            rules.validate_holiday_calendar(self.holiday_country, self.holiday_subdivision)
        except ValueError as exc:
            errors["holiday_country"] = str(exc)
        try:
            self.business_hours = rules.validate_business_hours(self.business_hours)
        except ValueError as exc:
            errors["business_hours"] = str(exc)
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            errors["latitude"] = "must be between -90 and 90"
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            errors["longitude"] = "must be between -180 and 180"
        if errors:
            raise ValidationError(errors)


class SiteRequirement(models.Model):
    """One rule of a site, as data: what work there needs, how early, and whether it blocks."""

    class Kind(models.TextChoices):
        ACCESS_REQUEST = "access_request", "Access request"
        INDUCTION = "induction", "Induction"
        ESCORT = "escort", "Escort"
        SECURITY_CLEARANCE = "security_clearance", "Security clearance"
        PPE = "ppe", "PPE"
        PERMITTED_HOURS = "permitted_hours", "Permitted working hours"
        METHOD_STATEMENT = "method_statement", "Method statement / document"
        COMPLIANCE = "compliance", "Compliance rule"
        LOCAL_STANDARD = "local_standard", "Local standard"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField()
    lead_time_hours = models.PositiveIntegerField(
        default=0, help_text="How long before the work starts this must be arranged."
    )
    categories = models.JSONField(
        default=list, blank=True, help_text="Work categories it applies to; empty means all."
    )
    blocking = models.BooleanField(default=True)
    permitted_hours = models.JSONField(
        null=True, blank=True,
        help_text="For permitted working hours: weekday intervals in site-local time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "site__clients"

    class Meta:
        ordering = ["site", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.site.code}: {self.get_kind_display()}"

    def clean(self) -> None:
        """Categories are a list of names; permitted hours have the business-hours shape."""
        if not isinstance(self.categories, list) or not all(isinstance(c, str) for c in self.categories):
            raise ValidationError({"categories": "a list of work category names"})
        if self.permitted_hours is not None:
            try:
                self.permitted_hours = rules.validate_business_hours(self.permitted_hours)
            except ValueError as exc:
                raise ValidationError({"permitted_hours": str(exc)}) from exc
        elif self.kind == self.Kind.PERMITTED_HOURS:
            raise ValidationError({"permitted_hours": "a permitted-hours requirement needs its hours"})
