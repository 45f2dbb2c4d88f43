"""Pages of the service desk: the queue, the work order page and its actions (thin: parse, call one
query or service, render). The engineer's and the client's pages are in field_views and portal_views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.actors import signed_in
from opsdesk.core.views import (
    form_action,
    int_param,
    list_template,
    object_timeline,
    page_view,
    paginate,
    run_action,
    staff_page,
    submit_form,
)

from . import page_queries, queries, services
from .forms import (
    ArrangementForm,
    AssignForm,
    CommentForm,
    EditForm,
    HandoffForm,
    OverrideForm,
    TransitionForm,
)
from .models import Arrangement, WorkOrder
from .readiness import queries as readiness_queries
from .rules import MACHINE

FINISHED = ("completed", "verified", "closed", "cancelled")
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _flag(request: HttpRequest, name: str) -> bool | None:
    return FLAGS.get(request.GET.get(name, "").strip().lower())


# The queue's default: work the desk still has to move (everything but finished and cancelled).


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The queue filters from the query string."""
    return {
        "state": request.GET.get("state", "").strip() or None,
        "region": request.GET.get("region", "").strip() or None,
        "site": int_param(request, "site"),
        "owner": int_param(request, "owner"),
        "blocked": _flag(request, "blocked"),
        "at_risk": _flag(request, "at_risk"),
    }


@require_GET
@page_view
def queue(request: HttpRequest) -> HttpResponse:
    """The service desk queue, most urgent first; client users are sent to their portal."""
    if getattr(request.user, "is_client_user", False):
        return HttpResponseRedirect(reverse("workorders:portal"))
    filters = _filters(request)
    # Without a state filter the queue is the working one (not verified, closed or cancelled).
    working = {"state": None, "finished": False} if filters["state"] is None else {}
    state = None if filters["state"] == "all" else filters["state"]
    page = paginate(request, queries.queue(request.user, **{**filters, "state": state, **working}))
    context = {"page": page, "filters": filters, **page_queries.filter_options(request.user)}
    template = list_template(request, "workorders/queue.html", "workorders/partials/queue_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def detail(request: HttpRequest, wo_id: int) -> HttpResponse:
    """One work order: header, readiness checklist, actions, handoffs, comments, parts, timeline."""
    if getattr(request.user, "is_client_user", False):
        return HttpResponseRedirect(reverse("workorders:portal-detail", args=[wo_id]))
    wo = queries.get_work_order(request.user, wo_id)
    return render(request, "workorders/detail.html", _detail_context(request, wo))


def _detail_context(request: HttpRequest, wo: WorkOrder, **forms: Any) -> dict[str, Any]:
    user: Any = request.user
    readiness = page_queries.readiness_for(wo)
    receivers = page_queries.staff_users(user)
    return {
        "wo": wo,
        "site_zone": wo.site.time_zone,
        "viewer_zone": page_queries.viewer_zone(user),
        "readiness": readiness,
        "transitions": _buttons(wo),
        "can_override": user.has_perm_code("workorders.dispatch"),
        "can_dispatch": user.has_perm_code("workorders.dispatch"),
        "can_edit": wo.state not in FINISHED,
        "requirements": page_queries.requirement_rows(user, wo),
        "arrangement_states": Arrangement.State.choices,
        "handoffs": list(queries.list_handoffs(user, wo)),
        "visits": list(queries.list_visits(user, wo)),
        "comments": queries.list_comments(user, wo),
        "parts": page_queries.parts_of(wo),
        "info_rows": page_queries.info_rows(wo),
        "engineers": readiness_queries.eligible_engineers(wo),
        "handoff_form": forms.get("handoff_form") or HandoffForm(receivers=receivers, initial={"to_team": wo.team}),
        "comment_form": CommentForm(),
        "timeline": object_timeline(request, wo),
    }


def _buttons(wo: WorkOrder) -> list[str]:
    """Transitions offered as buttons: onward moves first, then back, then hold, block and cancel."""
    order = [s for s, _ in WorkOrder.State.choices]
    here = order.index(wo.state)

    def rank(to: str) -> tuple[int, int]:
        side = 2 if to in ("on_hold", "blocked", "cancelled") else (0 if order.index(to) > here else 1)
        return side, order.index(to)

    return sorted(MACHINE.allowed(wo.state), key=rank)


def _detail_url(wo_id: int, anchor: str = "") -> str:
    return reverse("workorders:detail", args=[wo_id]) + anchor


@require_POST
@staff_page
def transition(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Move the work order to another state (POST: to, reason); a refused gate says why."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, TransitionForm(request.POST),
        lambda d: services.transition_work_order(wo, d["to"], actor=signed_in(request.user), reason=d["reason"]),
        success=lambda d: f"WO-{wo.pk} is now {d['to'].replace('_', ' ')}.",
        invalid="Choose a state to move the work order to.",
        redirect_to=_detail_url(wo.pk),
    )


@require_POST
@staff_page
def override(request: HttpRequest, wo_id: int) -> HttpResponse:
    """A dispatcher proceeds despite one blocker, with a recorded reason."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, OverrideForm(request.POST),
        lambda d: services.override_blocker(wo, d["blocker"], reason=d["reason"], actor=signed_in(request.user)),
        success="Override recorded.",
        invalid="An override needs a reason.",
        redirect_to=_detail_url(wo.pk, "#readiness"),
    )


@require_POST
@staff_page
def arrangement(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Record what has been arranged for one site requirement (submitted, approved, ...)."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, ArrangementForm(request.POST),
        lambda d: services.record_arrangement(
            wo, d["requirement"], state=d["state"], reference=d["reference"], note=d["note"], actor=signed_in(request.user)
        ),
        success="Arrangement recorded.",
        invalid="Choose the requirement and its new state.",
        redirect_to=_detail_url(wo.pk, "#arrangements"),
    )


@require_POST
@staff_page
def assign(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Assign an eligible engineer (or unassign with an empty choice)."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, AssignForm(request.POST),
        lambda d: services.assign(wo, d["engineer"] or None, actor=signed_in(request.user)),
        success=lambda d: "Engineer assigned." if d["engineer"] else "Engineer unassigned.",
        invalid="Choose an engineer.",
        redirect_to=_detail_url(wo.pk),
    )


@require_http_methods(["POST"])
@staff_page
def handoff(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Hand the work order over, with what was done, what is next and what is open."""
    wo = queries.get_work_order(request.user, wo_id)
    form = HandoffForm(request.POST, receivers=page_queries.staff_users(request.user))
    return form_action(
        request, form,
        lambda d: services.hand_off(
            wo, to_user=d["to_user"], to_team=d["to_team"] or None, done_so_far=d["done_so_far"], next_step=d["next_step"],
            open_questions=d["open_questions"], links=d["links"], actor=signed_in(request.user),
        ),
        success=lambda d: f"Handed over to {d['to_user'].get_full_name() or d['to_user'].username}.",
        invalid="A handoff needs the receiver, what was done so far and the next step.",
        invalid_to=lambda: render(request, "workorders/detail.html", _detail_context(request, wo, handoff_form=form), status=400),
        redirect_to=_detail_url(wo.pk, "#handoffs"),
        refused_to=_detail_url(wo.pk),
    )


@require_POST
@staff_page
def acknowledge(request: HttpRequest, wo_id: int, handoff_id: int) -> HttpResponse:
    """The receiver acknowledges a handoff."""
    wo = queries.get_work_order(request.user, wo_id)
    run_action(
        request,
        lambda: services.acknowledge_handoff(queries.get_handoff(request.user, wo, handoff_id), actor=signed_in(request.user)),
        "Handoff acknowledged.",
    )
    return HttpResponseRedirect(_detail_url(wo.pk, "#handoffs"))


@require_POST
@staff_page
def comment(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Add an internal or client-visible comment."""
    wo = queries.get_work_order(request.user, wo_id)
    return form_action(
        request, CommentForm(request.POST),
        lambda d: services.add_comment(wo, d["body"], visibility=d["visibility"], actor=signed_in(request.user)),
        success=lambda d: "Comment added" + (" (the client can see it)." if d["visibility"] == "client" else " (internal)."),
        invalid="Write the comment first.",
        redirect_to=_detail_url(wo.pk, "#comments"),
    )


@require_http_methods(["GET", "POST"])
@staff_page
def edit(request: HttpRequest, wo_id: int) -> HttpResponse:
    """Triage: the details, the window in the site's local time, and the category information."""
    wo = queries.get_work_order(request.user, wo_id)
    fields = page_queries.category_fields(wo.category)
    if request.method == "POST":
        form = EditForm(request.POST, work_order=wo, fields=fields)
        done = submit_form(
            request, form, lambda f: services.update_work_order(wo, f.to_data(), actor=signed_in(request.user)),
            success=f"WO-{wo.pk} updated.", redirect_to=_detail_url(wo.pk),
        )
        if done is not None:
            return done
    else:
        form = EditForm(initial=EditForm.initial_for(wo, fields), work_order=wo, fields=fields)
    return render(request, "workorders/edit.html", {"wo": wo, "form": form})
