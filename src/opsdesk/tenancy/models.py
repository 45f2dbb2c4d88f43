"""Clients."""

from __future__ import annotations

from django.db import models


class Client(models.Model):
    """An organisation the work is done for; every client-owned row reaches one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "id"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
