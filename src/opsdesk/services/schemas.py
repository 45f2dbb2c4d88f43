"""API schemas for services and their dependencies."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core.schemas import Id, InSchema

from .models import Service

CODE = r"^[-a-zA-Z0-9_]+$"


class ServiceIn(InSchema):
    """A new service. `depends_on` lists the services it needs (upstream)."""

    client: Id
    code: str = Field(..., min_length=1, max_length=60, pattern=CODE)
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field("", max_length=40)
    description: str = ""
    criticality: Service.Criticality = Service.Criticality.MEDIUM
    sites: list[Id] = []
    depends_on: list[Id] = []


class ServicePatch(InSchema):
    """Changes to a service; `depends_on` given replaces its direct dependencies."""

    code: str | None = Field(None, min_length=1, max_length=60, pattern=CODE)
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, max_length=40)
    description: str | None = None
    criticality: Service.Criticality | None = None
    sites: list[Id] | None = None
    depends_on: list[Id] | None = None


class ServiceOut(Schema):
    """A service with its hosting sites and direct dependencies."""

    id: int
    client: int = Field(..., alias="client_id")
    code: str
    name: str
    kind: str
    description: str
    criticality: int
    criticality_label: str
    sites: list[int]
    depends_on: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_criticality_label(obj: Service) -> str:
        return obj.get_criticality_display()

    @staticmethod
    def resolve_sites(obj: Service) -> list[int]:
        return sorted(s.pk for s in obj.sites.all())

    @staticmethod
    def resolve_depends_on(obj: Service) -> list[int]:
        return sorted(e.depends_on_id for e in obj.upstream_edges.all())


class ServiceBrief(Schema):
    """A service in a graph listing."""

    id: int
    code: str
    name: str
    client: int = Field(..., alias="client_id")
    criticality: int


class GraphOut(Schema):
    """Upstream (what it depends on) and downstream (what depends on it), transitively."""

    service: int
    upstream: list[ServiceBrief]
    downstream: list[ServiceBrief]
