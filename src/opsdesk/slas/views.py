"""SLA pages (thin): the attainment report per client, region or site and month."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core import clock
from opsdesk.core.errors import DomainError
from opsdesk.core.views import list_template, page_view

from . import attainment

GROUP_LABELS = {"client": "Client", "region": "Region", "site": "Site"}
KIND_LABELS = {"work_order": "Work orders", "incident": "Incidents"}
TARGET_LABELS = {"response": "Response", "onsite": "On-site arrival", "resolution": "Resolution"}


def _choice(request: HttpRequest, name: str, allowed: dict[str, str], default: str) -> str:
    value = request.GET.get(name, "").strip()
    return value if value in allowed else default


def _table(rows: list[attainment.Attainment], months: list[str]) -> list[dict[str, Any]]:
    """One line per group: a cell per month (None when nothing settled) and the period's total."""
    by_group: dict[tuple[int | None, str], dict[str, attainment.Attainment]] = defaultdict(dict)
    for row in rows:
        by_group[row.group_id, row.group_name][row.month] = row
    lines = []
    for (group_id, name), cells in by_group.items():
        met = sum(c.met for c in cells.values())
        total = sum(c.total for c in cells.values())
        raw = sum(c.raw_met for c in cells.values())
        lines.append({"id": group_id, "name": name, "cells": [cells.get(m) for m in months],
                      "met": met, "total": total, "share": met / total, "raw_share": raw / total})
    return lines


@require_GET
@page_view
def attainment_report(request: HttpRequest) -> HttpResponse:
    """Share of SLA targets met per group and month; a bad month is said on the page, not a 500."""
    filters = {
        "group_by": _choice(request, "group_by", GROUP_LABELS, "client"),
        "kind": _choice(request, "kind", KIND_LABELS, "work_order"),
        "target": _choice(request, "target", TARGET_LABELS, "resolution"),
        "since": request.GET.get("since", "").strip()[:7],
        "until": request.GET.get("until", "").strip()[:7],
    }
    error = ""
    try:
        first, last = attainment.month_range(filters["since"] or None, filters["until"] or None, clock.today_utc())
    except DomainError as exc:
        error = exc.detail
        first, last = attainment.month_range(None, None, clock.today_utc())
    months = attainment.months_between(first, last)
    rows = attainment.list_attainment(request.user, group_by=filters["group_by"], kind=filters["kind"],
                                      target=filters["target"], first=first, last=last)
    context = {
        "filters": filters, "error": error, "months": months, "lines": _table(rows, months),
        "groups": list(GROUP_LABELS.items()), "kinds": list(KIND_LABELS.items()),
        "targets": list(TARGET_LABELS.items()), "group_label": GROUP_LABELS[filters["group_by"]],
        "kind_label": KIND_LABELS[filters["kind"]], "target_label": TARGET_LABELS[filters["target"]],
    }
    template = list_template(request, "slas/attainment.html", "slas/attainment_rows.html")
    return render(request, template, context, status=400 if error else 200)
