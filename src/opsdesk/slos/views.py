"""SLO pages: the list with each SLO's attainment, error budget and burning rules, and one SLO
with its burn-rate rules, charts of its window and its synthetic checks. Read-only and thin:
the numbers come from reports (through page_queries), the charts from charts."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opsdesk.core import clock
from opsdesk.core.views import int_param, list_template, page_view, paginate
from opsdesk.tenancy import queries as client_queries

from . import charts
from . import page_queries as queries
from .models import Slo
from .reports import SloReport, budget_history, report_of

LOW_BUDGET = 0.25  # below this share of the budget left, an SLO is "Budget low"
MAX_CHART_POINTS = 721  # one point an hour over 30 days


class Status(NamedTuple):
    """An SLO's state in words (never colour alone), the badge class, and what it means."""

    text: str
    css: str
    meaning: str


def status_of(slo: Slo, report: SloReport) -> Status:
    """The most pressing thing to say about the SLO now."""
    page_rules = {rule.name for rule in report.rules if rule.firing and rule.action == "page"}
    if not slo.active:
        return Status("Not active", "closed", "Measurements are not evaluated.")
    if report.valid == 0:
        return Status("No data", "neutral", "No measurements in the window.")
    if report.budget_remaining <= 0:
        return Status("Budget exhausted", "danger", "The window has spent its whole error budget: the objective is missed.")
    if page_rules:
        return Status("Burning fast", "danger", "A paging burn-rate rule fires: the budget will be gone soon.")
    if report.firing:
        return Status("Burning slowly", "warn", "The ticket rule fires: the budget is spent faster than it refills.")
    if report.budget_remaining < LOW_BUDGET:
        return Status("Budget low", "warn", f"Less than {LOW_BUDGET:.0%} of the error budget is left.")
    return Status("Healthy", "ok", "Within budget, no burn-rate rule fires.")


def _id_param(request: HttpRequest, name: str) -> int | None:
    """A positive id that fits a database integer, else None (a malformed one is ignored)."""
    value = int_param(request, name)
    return value if value is not None and value <= queries.MAX_ID else None


@require_GET
@page_view
def slo_list(request: HttpRequest) -> HttpResponse:
    """SLOs the user may see, grouped by service: objective, attainment, budget left, status, firing rules."""
    user: Any = request.user
    filters: dict[str, Any] = {
        "client": None if user.is_client_user else _id_param(request, "client"),
        "service": _id_param(request, "service"),
    }
    page = paginate(request, queries.list_slos(user, **filters))
    slos = list(page.object_list)
    reports = queries.reports_for(slos, clock.now())
    rows = [{"slo": s, "report": reports[s.pk], "status": status_of(s, reports[s.pk])} for s in slos]
    context = {
        "page": page, "rows": rows, "filters": filters,
        "services": [(s.pk, s.name) for s in queries.slo_services(user)],
        "clients": [] if user.is_client_user else [(c.pk, c.name) for c in client_queries.list_clients(user)],
    }
    return render(request, list_template(request, "slos/list.html", "slos/rows.html"), context)


@require_GET
@page_view
def slo_detail(request: HttpRequest, slo_id: int) -> HttpResponse:
    """One SLO: its report now, each burn-rate rule, its window as charts, its synthetic checks."""
    user: Any = request.user
    slo = queries.get_slo(user, slo_id)
    now = clock.now()
    report = report_of(slo, now)
    points = max(2, min(int(slo.window_days * 24) + 1, MAX_CHART_POINTS))
    history = budget_history(slo, now, points)
    label = f"{slo.service.name} · {slo.name}"
    context = {
        "slo": slo,
        "report": report,
        "status": status_of(slo, report),
        "budget_svg": charts.budget_chart(f"{label}: error budget remaining", history),
        "burn_svg": charts.burn_chart(f"{label}: 1-hour burn rate", history),
        "burn_1h": history[-1][2],
        "checks": queries.checks_for(user, slo),
    }
    return render(request, "slos/detail.html", context)
