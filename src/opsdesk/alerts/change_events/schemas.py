"""API schemas of change events."""

import datetime as dt
from typing import Any

from ninja import Field, Schema


class ChangeEventOut(Schema):
    """A change a tool reported: where the rules placed it and the standard change it was recorded as."""

    id: int
    integration: int = Field(alias="integration_id")
    client: int = Field(alias="client_id")
    summary: str
    source: str
    happened_at: dt.datetime
    received_at: dt.datetime
    custom_details: dict[str, Any]
    links: list[dict[str, str]]
    service: int | None = Field(None, alias="service_id")
    site: int | None = Field(None, alias="site_id")
    change: int | None = Field(None, alias="change_id")
