"""Engineers and what qualifies them for work: skills, certifications, site access, shifts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.tenancy import PUBLIC, STAFF_ONLY
from opsdesk.sites import rules as site_rules
from opsdesk.sites.models import Region, Site
from opsdesk.sites.rules import default_business_hours


class Skill(models.Model):
    """A skill engineers hold at a level (e.g. fibre splicing, Cisco IOS)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)

    tenant_path = PUBLIC

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    """A certification type that expires (e.g. CompTIA A+, electrical safety)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    validity_months = models.PositiveIntegerField(default=36)

    tenant_path = PUBLIC

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Engineer(models.Model):
    """A field or remote engineer with a home region, a base and a weekly shift pattern."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="engineer",
    )
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    home_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="engineers")
    base_location = models.CharField(max_length=200, blank=True)
    base_latitude = models.FloatField(null=True, blank=True)
    base_longitude = models.FloatField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    working_hours = models.JSONField(
        default=default_business_hours,
        help_text="Weekly shift pattern in the engineer's time zone, same shape as site hours.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = STAFF_ONLY

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["home_region", "active"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Time zone and shift pattern must be valid."""
        errors: dict[str, str] = {}
        try:
            site_rules.validate_time_zone(self.time_zone)
        except ValueError as exc:
            errors["time_zone"] = str(exc)
        try:
            self.working_hours = site_rules.validate_business_hours(self.working_hours)
        except ValueError as exc:
            errors["working_hours"] = str(exc)
        if errors:
            raise ValidationError(errors)


class EngineerSkill(models.Model):
    """A skill an engineer has, at a level from 1 (aware) to 5 (expert)."""

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="holders")
    level = models.PositiveSmallIntegerField(default=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engineer", "skill"], name="one_level_per_skill"),
            models.CheckConstraint(name="skill_level_1_to_5", condition=models.Q(level__gte=1, level__lte=5)),
        ]

    def __str__(self) -> str:
        return f"{self.skill} L{self.level}"


class EngineerCertification(models.Model):
    """A certification an engineer holds, valid until its expiry date."""

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="certifications")
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="holders")
    obtained_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField()

    class Meta:
        ordering = ["expires_on"]
        constraints = [
            models.UniqueConstraint(fields=["engineer", "certification"], name="one_cert_record"),
        ]

    def __str__(self) -> str:
        return f"{self.certification} until {self.expires_on}"


class SiteAccess(models.Model):
    """An engineer's access grant, induction or clearance at one site, valid until expiry."""

    class Kind(models.TextChoices):
        ACCESS = "access", "Access grant"
        INDUCTION = "induction", "Induction"
        CLEARANCE = "clearance", "Security clearance"

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="site_access")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="engineer_access")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ACCESS)
    granted_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["site", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["engineer", "site", "kind"], name="one_access_per_kind"),
        ]
        verbose_name_plural = "site access"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.site.code}"


class Absence(models.Model):
    """Time an engineer is not available (leave, training, sickness)."""

    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="absences")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(name="absence_ends_after_start", condition=models.Q(end_at__gt=models.F("start_at"))),
        ]

    def __str__(self) -> str:
        return f"{self.engineer}: {self.start_at:%Y-%m-%d} – {self.end_at:%Y-%m-%d}"
