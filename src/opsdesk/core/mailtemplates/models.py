"""Stored email wording: one row overrides the shipped text of a key and audience."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MailTemplate(models.Model):
    """An override of one shipped email (`defaults.DEFAULTS`): for every client, or for one client.

    `client` names `tenancy.Client` by string, as the kernel names the user model: the kernel
    imports no app above it, and import-linter checks imports, while the foreign key keeps the
    database honest (a client's wording goes with the client).
    """

    key = models.CharField(max_length=60)
    audience = models.CharField(max_length=20)
    client = models.ForeignKey("tenancy.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=500)
    body = models.TextField(max_length=20000)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by_label = models.CharField(max_length=150, blank=True)

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["key", "audience", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "audience"], condition=models.Q(client__isnull=True),
                                    name="mail_template_one_default_override"),
            models.UniqueConstraint(fields=["key", "audience", "client"], condition=models.Q(client__isnull=False),
                                    name="mail_template_one_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.key} / {self.audience}" + (f" / client {self.client_id}" if self.client_id else "")
