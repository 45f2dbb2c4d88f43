"""Work orders as the API shows them (`WorkOrderOut`), read in a few flat queries.

A page of the queue is 50 work orders with their services, skills, certifications and parts. Model
instances with prefetched relations cost ~20 ms for that; reading the same facts as tuples (one
query for the rows with site and owner joined, one per relation) and building the answer here
costs a few. Every endpoint that answers a work order goes through `present`, so a list row and a
single work order always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .models import Part, Visit, WorkOrder
from .rules import MACHINE

# Columns read as they are; the rest of WorkOrderOut is built from joins and relations below.
PLAIN = (
    "id",
    "client_id",
    "site_id",
    "category",
    "title",
    "description",
    "info",
    "window_start",
    "window_end",
    "priority",
    "estimated_minutes",
    "change_id",
    "owner_id",
    "team",
    "engineer_id",
    "state",
    "blocked",
    "at_risk",
    "next_needed_by",
    "rework_of_id",
    "first_time_fix",
    "checked_in_at",
    "checked_out_at",
    "completion_report",
    "checklist",
    "created_at",
    "updated_at",
    "completed_at",
)
JOINED = (
    "site__code",
    "site__time_zone",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)
PART_FIELDS = (
    "id",
    "part_number",
    "description",
    "quantity",
    "shipment",
    "expected_at",
    "delivered_at",
)
VISIT_FIELDS = (
    "id",
    "engineer_id",
    "checked_in_at",
    "checked_out_at",
    "outcome",
    "minutes_early",
    "minutes_late",
    "outside_window_reason",
    "distance_m",
    "accuracy_m",
    "radius_m",
    "far_from_site",
    "failure_reason",
    "failure_note",
)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=32)
def _allowed(state: str) -> list[str]:
    return sorted(MACHINE.allowed(state))


def _row(values: dict[str, Any]) -> dict[str, Any]:
    row = {key: values[key] for key in PLAIN}
    for key in ("info", "checklist"):
        if not isinstance(row[key], dict):
            row[key] = {}
    row["site_code"] = values["site__code"]
    full_name = f"{values['owner__first_name']} {values['owner__last_name']}".strip()
    row["owner_name"] = full_name or values["owner__username"]
    row["allowed_transitions"] = _allowed(values["state"])
    start, end = values["window_start"], values["window_end"]
    if start is None or end is None:
        row["local_window"] = None
    else:
        zone = _zone(values["site__time_zone"])
        row["local_window"] = {
            "time_zone": values["site__time_zone"],
            "start": start.astimezone(zone),
            "end": end.astimezone(zone),
        }
    return row


def _grouped(pairs: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for wo_id, value in pairs:
        grouped[wo_id].append(value)
    return grouped


def present_ids(ids: list[int]) -> list[dict[str, Any]]:
    """The work orders with these ids as WorkOrderOut dicts, in the order of `ids` (missing ids skipped)."""
    if not ids:
        return []
    values = WorkOrder.objects.filter(pk__in=ids).values(*PLAIN, *JOINED)
    rows = {v["id"]: _row(v) for v in values}
    services = _grouped(
        WorkOrder.services.through.objects.filter(workorder_id__in=ids).values_list(
            "workorder_id", "service_id"
        )
    )
    skills = _grouped(
        WorkOrder.required_skills.through.objects.filter(workorder_id__in=ids).values_list(
            "workorder_id", "skill__code"
        )
    )
    certifications = _grouped(
        WorkOrder.required_certifications.through.objects.filter(workorder_id__in=ids).values_list(
            "workorder_id", "certification__code"
        )
    )
    parts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for part in (
        Part.objects.filter(work_order_id__in=ids)
        .order_by("id")
        .values("work_order_id", *PART_FIELDS)
    ):
        parts[part.pop("work_order_id")].append(part)
    visits: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for visit in Visit.objects.filter(work_order_id__in=ids).order_by("checked_in_at", "id").values(
        "work_order_id", *VISIT_FIELDS
    ):
        visit["outside_window"] = bool(visit["minutes_early"] or visit["minutes_late"])
        visits[visit.pop("work_order_id")].append(visit)
    for wo_id, row in rows.items():
        row["visits"] = visits.get(wo_id, [])
        row["services"] = sorted(services.get(wo_id, ()))
        row["required_skills"] = sorted(skills.get(wo_id, ()))
        row["required_certifications"] = sorted(certifications.get(wo_id, ()))
        row["parts"] = parts.get(wo_id, [])
    return [rows[i] for i in ids if i in rows]


def present(work_orders: Iterable[WorkOrder | int]) -> list[dict[str, Any]]:
    """Work orders (instances or ids) as WorkOrderOut dicts, read fresh from the database, in order."""
    return present_ids([wo if isinstance(wo, int) else wo.pk for wo in work_orders])


def present_one(work_order: WorkOrder | int) -> dict[str, Any]:
    """One work order as a WorkOrderOut dict, read fresh."""
    return present([work_order])[0]
