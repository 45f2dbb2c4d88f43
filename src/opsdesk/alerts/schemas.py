"""API schemas of integrations and alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from typing_extensions import TypeAliasType

from opsdesk.core.schemas import Id, InSchema


class MappingRuleIn(InSchema):
    """`label operator "value"` maps to a service or a site (exactly one)."""

    label: str = Field(min_length=1, max_length=100)
    operator: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=300)
    service: Id | None = None
    site: Id | None = None


class MappingRuleOut(Schema):
    """A mapping rule as stored."""

    position: int
    label: str
    operator: str
    value: str
    service: int | None = Field(None, alias="service_id")
    site: int | None = Field(None, alias="site_id")


WINDOWS = {
    "group": "Minutes: an alert joins an open incident on the same site, or opened by the same alert, detected this "
             "recently (an open incident on the alert's service or upstream takes it however old).",
    "reopen": "Minutes: an alert on the service (or the same alert) of an incident resolved this recently reopens it.",
}


class IntegrationIn(InSchema):
    """A new integration for a client."""

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["alertmanager", "events_v2", "grafana", "generic"]
    client: Id
    active: bool = True
    default_service: Id | None = None
    default_site: Id | None = None
    owner: Id | None = None
    signature_header: str = Field("", max_length=100)
    timestamp_header: str = Field("", max_length=100)
    flap_threshold: int = Field(4, ge=2, le=100)
    flap_window_minutes: int = Field(30, ge=1, le=1440)
    group_window_minutes: int = Field(60, ge=1, le=1440, description=WINDOWS["group"])
    reopen_window_minutes: int = Field(60, ge=1, le=1440, description=WINDOWS["reopen"])
    rules: list[MappingRuleIn] = Field(default_factory=list, max_length=200)


class IntegrationPatch(InSchema):
    """Fields to change; `rules` replaces the mapping rules."""

    name: str | None = Field(None, min_length=1, max_length=100)
    active: bool | None = None
    default_service: Id | None = None
    default_site: Id | None = None
    owner: Id | None = None
    signature_header: str | None = Field(None, max_length=100)
    timestamp_header: str | None = Field(None, max_length=100)
    flap_threshold: int | None = Field(None, ge=2, le=100)
    flap_window_minutes: int | None = Field(None, ge=1, le=1440)
    group_window_minutes: int | None = Field(None, ge=1, le=1440, description=WINDOWS["group"])
    reopen_window_minutes: int | None = Field(None, ge=1, le=1440, description=WINDOWS["reopen"])
    rules: list[MappingRuleIn] | None = Field(None, max_length=200)


class IntegrationOut(Schema):
    """An integration: where it sends to, never its key (only the prefix)."""

    id: int
    name: str
    kind: str
    client: int = Field(alias="client_id")
    key_prefix: str
    active: bool
    default_service: int | None = Field(None, alias="default_service_id")
    default_site: int | None = Field(None, alias="default_site_id")
    owner: int | None = Field(None, alias="owner_id")
    signature_header: str
    timestamp_header: str
    flap_threshold: int
    flap_window_minutes: int
    group_window_minutes: int = Field(description=WINDOWS["group"])
    reopen_window_minutes: int = Field(description=WINDOWS["reopen"])
    rules: list[MappingRuleOut]
    url: str
    created_at: dt.datetime

    @staticmethod
    def resolve_rules(obj: Any) -> list[Any]:
        return list(obj.rules.all())

    @staticmethod
    def resolve_url(obj: Any) -> str:
        if obj.kind == "events_v2":
            return "/v2/enqueue"
        return f"/api/v1/integrations/{obj.kind}/<key>"


class IntegrationBrief(Schema):
    """An integration as a client user sees it: that it exists and is on, not its configuration
    (key prefix, signature headers, mapping rules stay with the provider's staff)."""

    id: int
    name: str
    kind: str
    client: int = Field(alias="client_id")
    active: bool
    created_at: dt.datetime


IntegrationView = TypeAliasType("IntegrationView", Annotated[IntegrationOut | IntegrationBrief, Field(union_mode="left_to_right")])
"""An integration in full (staff) or brief (client users)."""


class IntegrationKeyOut(IntegrationOut):
    """An integration with its key, answered once when made or rotated; the signing secret for
    signed (Grafana) integrations."""

    key: str
    signing_secret: str | None = None


class AlertOut(Schema):
    """An alert: one fingerprint or dedup key of an integration, from trigger to resolve."""

    id: int
    integration: int = Field(alias="integration_id")
    client: int = Field(alias="client_id")
    key: str
    fingerprint: str | None
    dedup_key: str | None
    status: str
    severity: str
    summary: str
    source: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    details: dict[str, Any]
    service: int | None = Field(None, alias="service_id")
    site: int | None = Field(None, alias="site_id")
    incident: int | None = Field(None, alias="incident_id")
    count: int
    flapping: bool
    maintenance_change: int | None = Field(None, alias="maintenance_change_id")
    started_at: dt.datetime
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_fingerprint(obj: Any) -> str | None:
        return obj.key if obj.integration.kind != "events_v2" else None

    @staticmethod
    def resolve_dedup_key(obj: Any) -> str | None:
        return obj.key if obj.integration.kind == "events_v2" else None
