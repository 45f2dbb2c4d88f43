"""Users with one role each, and API tokens stored hashed."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from opsdesk.tenancy.models import Client

from . import rules


class User(AbstractUser):
    """A person who signs in. Client users belong to exactly one client."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        SERVICE_DESK = "service_desk", "Service desk agent"
        DISPATCHER = "dispatcher", "Dispatcher"
        ENGINEER = "engineer", "Engineer"
        INCIDENT_COMMANDER = "incident_commander", "Incident commander"
        CHANGE_APPROVER = "change_approver", "Change approver"
        CLIENT = "client", "Client user"

    role = models.CharField(max_length=30, choices=Role.choices, default=Role.SERVICE_DESK)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    time_zone = models.CharField(max_length=64, default="UTC")

    tenant_path = "client"

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="client_user_has_client",
                condition=(~models.Q(role="client") | models.Q(client__isnull=False)),
            )
        ]

    @property
    def is_client_user(self) -> bool:
        """Client users see only their client's data."""
        return self.role == self.Role.CLIENT

    def has_perm_code(self, permission: str) -> bool:
        """Whether this user's role grants an opsdesk permission code."""
        if not self.is_active:
            return False
        return self.is_superuser or rules.role_allows(self.role, permission)


class ApiToken(models.Model):
    """A bearer token: only its SHA-256 is stored; scoped, revocable, last use recorded."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
