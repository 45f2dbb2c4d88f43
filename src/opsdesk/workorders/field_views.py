"""The engineer's pages: today's work in the engineer's local time, check-in (with the site's method
statement and local standards) and check-out (with the category's completion checklist)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.actors import signed_in
from opsdesk.core.views import errors_on_fields, staff_page, submit_form

from . import page_queries, queries, services
from .forms import CheckInForm, CheckOutForm, NotCompletedForm
from .models import WorkOrder


@require_GET
@staff_page
def mine(request: HttpRequest) -> HttpResponse:
    """Work assigned to me on a day (today by default) in my local time."""
    zone, today = page_queries.engineer_today(request.user)
    day = page_queries.parse_day(request.GET.get("day"), today)
    items = list(queries.my_work(request.user, day))
    context = {
        "items": [(wo, page_queries.checklist_for(wo.category)) for wo in items],
        "day": day,
        "today": today,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "zone": zone,
        "is_engineer": getattr(request.user, "engineer", None) is not None,
    }
    return render(request, "workorders/mine.html", context)


def _visit_context(user: Any, wo: WorkOrder, **forms: Any) -> dict[str, Any]:
    checklist = page_queries.checklist_for(wo.category)
    return {
        "wo": wo,
        "site_zone": wo.site.time_zone,
        "rules": queries.check_in_briefing(wo),
        "check_in_form": forms.get("check_in_form") or CheckInForm(),
        "check_out_form": forms.get("check_out_form") or CheckOutForm(checklist=checklist),
        "not_completed_form": forms.get("not_completed_form") or NotCompletedForm(),
        "visits": list(queries.list_visits(user, wo)),
        "policy": services.policy_of(wo.category),
    }


@require_http_methods(["GET", "POST"])
@staff_page
def check_in(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Show the site's rules for this work; POST records the arrival."""
    wo = queries.get_work_order(request.user, wo_id)
    if request.method == "POST":
        form = CheckInForm(request.POST)
        done = submit_form(
            request, form,
            lambda f: services.check_in(
                wo, actor=signed_in(request.user), reason=f.cleaned_data["reason"], latitude=f.cleaned_data["latitude"],
                longitude=f.cleaned_data["longitude"], accuracy_m=f.cleaned_data["accuracy_m"],
            ),
            success=f"Checked in at {wo.site.code}.", redirect_to=reverse("workorders:check-out", args=[wo.pk]),
            refused=errors_on_fields,
        )
        if done is not None:
            return done
        return render(request, "workorders/visit.html", _visit_context(request.user, wo, check_in_form=form), status=400)
    return render(request, "workorders/visit.html", _visit_context(request.user, wo))


@require_http_methods(["GET", "POST"])
@staff_page
def check_out(request: HttpRequest, wo_id: int) -> HttpResponse:
    """The completion checklist and report; POST records the departure and completes the work."""
    wo = queries.get_work_order(request.user, wo_id)
    if request.method == "POST":
        form = CheckOutForm(request.POST, checklist=page_queries.checklist_for(wo.category))
        done = submit_form(
            request, form,
            lambda f: services.check_out(
                wo, checklist=f.answers(), report=f.cleaned_data["completion_report"],
                first_time_fix=f.cleaned_data["first_time_fix"], actor=signed_in(request.user),
            ),
            success=f"Checked out: WO-{wo.pk} is completed.", redirect_to=reverse("workorders:mine"),
        )
        if done is not None:
            return done
        return render(request, "workorders/visit.html", _visit_context(request.user, wo, check_out_form=form), status=400)
    return render(request, "workorders/visit.html", _visit_context(request.user, wo))


@require_POST
@staff_page
def check_out_not_completed(request: HttpRequest, wo_id: int) -> HttpResponse:
    """POST: the engineer leaves without completing; the reason is recorded and the work goes on hold."""
    wo = queries.get_work_order(request.user, wo_id)
    form = NotCompletedForm(request.POST)
    done = submit_form(
        request, form,
        lambda f: services.check_out_not_completed(
            wo, reason=f.cleaned_data["failure_reason"], note=f.cleaned_data["failure_note"], actor=signed_in(request.user)
        ),
        success=f"Checked out: WO-{wo.pk} was not completed and is on hold.", redirect_to=reverse("workorders:mine"),
        refused=errors_on_fields,
    )
    if done is not None:
        return done
    return render(request, "workorders/visit.html", _visit_context(request.user, wo, not_completed_form=form), status=400)
