"""Services (configuration items) and the edges of their dependency graph."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

from . import rules


class Service(models.Model):
    """A client's service or configuration item (EPR, core switch DC2, storage array)."""

    class Criticality(models.IntegerChoices):
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        CRITICAL = 4, "Critical"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="services")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=40, blank=True, help_text="application, network, storage, ...")
    description = models.TextField(blank=True)
    criticality = models.PositiveSmallIntegerField(choices=Criticality.choices, default=Criticality.MEDIUM)
    sites = models.ManyToManyField(Site, related_name="services", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = "client"

    class Meta:
        ordering = ["client", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "code"], name="service_code_per_client"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceDependency(models.Model):
    """An edge: `service` depends on `depends_on` (upstream)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="upstream_edges")
    depends_on = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="downstream_edges")
    note = models.CharField(max_length=200, blank=True)

    tenant_path = "service__client"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "depends_on"], name="one_edge_per_pair"),
            models.CheckConstraint(name="no_self_dependency", condition=~models.Q(service=models.F("depends_on"))),
        ]
        verbose_name_plural = "service dependencies"

    def __str__(self) -> str:
        return f"{self.service} → {self.depends_on}"

    def clean(self) -> None:
        """Refuse an edge that would close a cycle, naming the cycle."""
        if self.service_id is None or self.depends_on_id is None:
            return
        edges = ServiceDependency.objects.exclude(pk=self.pk).values_list("service_id", "depends_on_id")
        path = rules.cycle_path(list(edges), (self.service_id, self.depends_on_id))
        if path:
            # path is depends_on → … → service → depends_on; shown from the new edge's start.
            chain = [self.service_id, *path[:-1]]
            names = dict(Service.objects.filter(pk__in=chain).values_list("pk", "name"))
            shown = " → ".join(names.get(p, str(p)) for p in chain)
            raise ValidationError({"depends_on": f"This dependency would create a cycle: {shown}."})
