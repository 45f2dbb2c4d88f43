"""Postmortem and problem pages: the postmortems and action items lists, the postmortem with its
sections and action items, the problems list and a problem with its known error, workaround and
incidents. Thin: one query or service each."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from opsdesk.core import clock
from opsdesk.core.actors import signed_in
from opsdesk.core.views import (
    form_action,
    int_param,
    list_template,
    object_timeline,
    page_view,
    paginate,
    run_action,
)
from opsdesk.incidents import client_view as incident_view
from opsdesk.services import readers

from . import client_view, queries, rules, services
from .client_view import Shown
from .forms import (
    SECTION_LABELS,
    ActionForm,
    ActionUpdateForm,
    LinkForm,
    PostmortemForm,
    ProblemForm,
    TransitionForm,
)
from .models import ActionItem, Postmortem, Problem

PERMISSION = "incidents.write"
STATE_CLASS = {
    "draft": "neutral", "in_review": "info", "published": "ok",
    "open": "warn", "in_progress": "info", "done": "ok", "wont_do": "closed",
    "proposed": "info", "known_error": "danger", "resolved": "ok", "dismissed": "closed",
}
TRANSITION_LABELS = {"draft": "Back to draft", "in_review": "Send for review", "published": "Publish"}


def _can_write(user: Any) -> bool:
    return not getattr(user, "is_client_user", False) and user.has_perm_code(PERMISSION)


def _require_write(user: Any) -> None:
    """Client users never write here (404 as if the page did not exist); others need incidents.write."""
    if getattr(user, "is_client_user", False):
        raise Http404("No such page.")
    if not user.has_perm_code(PERMISSION):
        raise PermissionDenied("Your role may not change postmortems or problems.")


def incident_url(incident_id: int) -> str:
    """The incident's page."""
    try:
        return reverse("incidents:detail", args=[incident_id])
    except NoReverseMatch:
        return f"/incidents/{incident_id}/"


def _pm_url(pm_id: int, anchor: str = "") -> str:
    return reverse("incidents:postmortem_detail", args=[pm_id]) + anchor


def _problem_url(problem_id: int, anchor: str = "") -> str:
    return reverse("incidents:problem_detail", args=[problem_id]) + anchor


# -- postmortems -----------------------------------------------------------------------------------


def _sections(pm: Postmortem | Shown, form: PostmortemForm | None) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": SECTION_LABELS[name], "text": getattr(pm, name),
         "blame": rules.blame_words(getattr(pm, name)), "field": form[name] if form is not None else None}
        for name in rules.SECTIONS
    ]


@require_GET
@page_view
def postmortem_detail(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    """One postmortem: its sections (editable while draft or in review), state and action items."""
    user: Any = request.user
    found = queries.get_postmortem(user, postmortem_id)
    pm = client_view.postmortem_for_reader(found, user)
    can_write = _can_write(user)
    today = clock.today_utc()
    actions = [
        {"item": a, "overdue": rules.is_overdue(a, today),
         "states": [s for s in rules.ACTION_MACHINE.states if s in rules.ACTION_MACHINE.allowed(a.state)]}
        for a in pm.actions.all()
    ]
    editable = can_write and pm.state in rules.EDITABLE_POSTMORTEM_STATES
    form = PostmortemForm(initial=PostmortemForm.initial_for(pm)) if editable else None
    context = {
        "pm": pm,
        "incident_url": incident_url(pm.incident_id),
        "sections": _sections(pm, form),
        "editable": editable,
        "form": form,
        "action_form": ActionForm(auto_id="action_%s") if can_write else None,
        "staff": list(queries.staff_users()) if can_write else [],
        "actions": actions,
        "overdue_count": sum(1 for a in actions if a["overdue"]),
        "transitions": [(to, TRANSITION_LABELS[to]) for to in sorted(rules.POSTMORTEM_MACHINE.allowed(pm.state))]
        if can_write else [],
        "publish_missing": rules.publish_problems({n: getattr(pm, n) for n in rules.SECTIONS}),
        "can_write": can_write,
        "state_class": STATE_CLASS,
        "action_states": dict(ActionItem.State.choices),
        "timeline": readers.timeline(queries.postmortem_activity(found, user), user),
    }
    return render(request, "learning/postmortem_detail.html", context)


@require_POST
@page_view
def postmortem_start(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Start (or open) the incident's postmortem, then show it."""
    _require_write(request.user)
    incident = queries.get_incident(request.user, incident_id)
    started: list[Postmortem] = []
    if run_action(
        request, lambda: started.append(services.start_postmortem(incident, signed_in(request.user))[0]),
        f"Postmortem of INC-{incident.pk}: the draft is written from the timeline; edit it below.",
    ):
        return HttpResponseRedirect(_pm_url(started[0].pk))
    return HttpResponseRedirect(incident_url(incident.pk))


@require_POST
@page_view
def postmortem_update(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    """Save the sections and owner."""
    _require_write(request.user)
    pm = queries.get_postmortem(request.user, postmortem_id)
    form = PostmortemForm(request.POST)
    return form_action(
        request, form, lambda d: services.update_postmortem(pm, form.to_data(), signed_in(request.user)),
        success="Postmortem saved.", invalid="Check the postmortem: choose an owner; sections are text.",
        redirect_to=_pm_url(pm.pk),
    )


@require_POST
@page_view
def postmortem_transition(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    """Move the postmortem to another state."""
    _require_write(request.user)
    pm = queries.get_postmortem(request.user, postmortem_id)
    return form_action(
        request, TransitionForm(request.POST),
        lambda d: services.transition_postmortem(pm, d["to"], signed_in(request.user), reason=d["reason"]),
        success=lambda d: f"The postmortem is now {d['to'].replace('_', ' ')}.",
        invalid="Choose a state to move the postmortem to.", redirect_to=_pm_url(pm.pk),
    )


@require_POST
@page_view
def postmortem_add_action(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    """Add an action item."""
    _require_write(request.user)
    pm = queries.get_postmortem(request.user, postmortem_id)
    return form_action(
        request, ActionForm(request.POST),
        lambda d: services.add_action(pm, d["title"], d["owner"].pk, d["due_on"], signed_in(request.user)),
        success=lambda d: f"Action added; {d['owner'].get_full_name() or d['owner'].get_username()} is told.",
        invalid="An action needs a title, an owner and a due day.", redirect_to=_pm_url(pm.pk, "#actions"),
    )


@require_POST
@page_view
def action_update(request: HttpRequest, action_id: int) -> HttpResponse:
    """Change one action item's owner, due day or state."""
    _require_write(request.user)
    action = queries.get_action(request.user, action_id)
    form = ActionUpdateForm(request.POST)
    return form_action(
        request, form, lambda d: services.update_action(action, form.to_data(), signed_in(request.user)),
        success="Action updated.", invalid="Check the action's owner, due day and state.",
        redirect_to=_pm_url(action.postmortem_id, "#actions"),
    )


# -- the postmortems and actions lists -------------------------------------------------------------

FLAGS = {"1": True, "true": True, "yes": True, "on": True}
# The actions list's state filter: a word of the query string -> the states it keeps (None: all).
ACTION_STATE_FILTERS: dict[str, tuple[str, str | None]] = {
    "open": ("Open or in progress", ",".join(sorted(rules.OPEN_ACTION_STATES))),
    "done": ("Done", ActionItem.State.DONE.value),
    "wont_do": ("Won't do", ActionItem.State.WONT_DO.value),
    "all": ("All states", None),
}
DEFAULT_ACTION_STATE = "open"


def _flag(request: HttpRequest, name: str) -> bool:
    return FLAGS.get(request.GET.get(name, "").strip().lower(), False)


def _words(request: HttpRequest, name: str = "q", limit: int = 200) -> str | None:
    """Search words from the query string, or None; NUL characters (which PostgreSQL refuses) dropped."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:limit] or None


def _choice(request: HttpRequest, name: str, allowed: Any) -> str | None:
    """The parameter when it is one of `allowed`, else None (an unknown value is ignored)."""
    value = request.GET.get(name, "").strip()
    return value if value in allowed else None


@require_GET
@page_view
def postmortem_list(request: HttpRequest) -> HttpResponse:
    """Postmortems the user may read, newest first, filtered by state and words, with their actions' counts."""
    user: Any = request.user
    states = [(v, label) for v, label in Postmortem.State.choices
              if not user.is_client_user or v == Postmortem.State.PUBLISHED]
    filters: dict[str, Any] = {
        "state": _choice(request, "state", {v for v, _ in states}),
        "q": _words(request),
    }
    page = paginate(request, queries.list_postmortem_rows(user, today=clock.today_utc(), **filters))
    page.object_list = client_view.postmortems_for_readers(page.object_list, user)
    context = {"page": page, "filters": filters, "states": states, "state_class": STATE_CLASS}
    template = list_template(request, "learning/postmortem_list.html", "learning/postmortem_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def action_list(request: HttpRequest) -> HttpResponse:
    """Action items the user may read: open ones by default, overdue first, then by due day."""
    user: Any = request.user
    state = _choice(request, "state", ACTION_STATE_FILTERS) or DEFAULT_ACTION_STATE
    filters: dict[str, Any] = {
        "state": state,
        "mine": _flag(request, "mine") and not user.is_client_user,  # client users own no actions
        "overdue": _flag(request, "overdue"),
    }
    items = queries.list_actions(
        user, today=clock.today_utc(), state=ACTION_STATE_FILTERS[state][1],
        owner=user.pk if filters["mine"] else None, overdue=True if filters["overdue"] else None,
        overdue_first=True,
    )
    page = paginate(request, items)
    page.object_list = client_view.actions_for_readers(page.object_list, user)
    context = {
        "page": page, "filters": filters, "state_class": STATE_CLASS,
        "states": [(v, label) for v, (label, _) in ACTION_STATE_FILTERS.items()],
    }
    template = list_template(request, "learning/action_list.html", "learning/action_rows.html")
    return render(request, template, context)


# -- problems --------------------------------------------------------------------------------------


def _id_param(request: HttpRequest, name: str) -> int | None:
    """A positive id from the query string that fits a database integer, else None."""
    value = int_param(request, name)
    return value if value is not None and value < 2**63 else None


@require_GET
@page_view
def problem_list(request: HttpRequest) -> HttpResponse:
    """Problems the user may read, newest first, filtered by state and service."""
    filters: dict[str, Any] = {
        "state": _words(request, "state", 100),
        "service": _id_param(request, "service"),
        "q": _words(request),
    }
    page = paginate(request, queries.list_problems(request.user, **filters))
    page.object_list = client_view.problems_for_readers(page.object_list, request.user)
    user: Any = request.user
    states = [(v, label) for v, label in Problem.State.choices
              if not user.is_client_user or v in rules.CLIENT_VISIBLE_PROBLEM_STATES]
    context = {
        "page": page, "filters": filters, "states": states, "state_class": STATE_CLASS,
        "services": [(s.pk, s.name) for s in queries.problem_services(user)],
    }
    template = list_template(request, "learning/problem_list.html", "learning/problem_rows.html")
    return render(request, template, context)


@require_GET
@page_view
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    """One problem: known error, workaround, linked incidents, and its timeline."""
    user: Any = request.user
    problem = queries.get_problem(user, problem_id)
    can_write = _can_write(user)
    allowed = rules.PROBLEM_MACHINE.allowed(problem.state) | {problem.state}
    form = None
    if can_write:
        form = ProblemForm(initial=ProblemForm.initial_for(problem))
        form.fields["state"].choices = [c for c in Problem.State.choices if c[0] in allowed]  # type: ignore[attr-defined]
    context = {
        "problem": client_view.problem_for_reader(problem, user),
        "incidents": [(incident_view.for_reader(i, user), incident_url(i.pk)) for i in problem.incidents.all()],
        "form": form,
        "link_form": LinkForm() if can_write else None,
        "can_write": can_write,
        "state_class": STATE_CLASS,
        "timeline": readers.timeline(object_timeline(request, problem), request.user),
    }
    return render(request, "learning/problem_detail.html", context)


@require_POST
@page_view
def problem_update(request: HttpRequest, problem_id: int) -> HttpResponse:
    """Save the problem's words, owner and state."""
    _require_write(request.user)
    problem = queries.get_problem(request.user, problem_id)
    form = ProblemForm(request.POST)
    return form_action(
        request, form, lambda d: services.update_problem(problem, form.to_data(), signed_in(request.user)),
        success="Problem saved.", invalid="Check the problem: it needs a title and a state.",
        redirect_to=_problem_url(problem.pk),
    )


@require_POST
@page_view
def problem_link(request: HttpRequest, problem_id: int) -> HttpResponse:
    """Make an incident part of the problem."""
    _require_write(request.user)
    problem = queries.get_problem(request.user, problem_id)
    return form_action(
        request, LinkForm(request.POST),
        lambda d: services.link_incident(problem, queries.incident_in_body(request.user, d["incident"]), signed_in(request.user)),
        success=lambda d: f"INC-{d['incident']} is part of this problem.",
        invalid="Give the incident's number, e.g. INC-42.", redirect_to=_problem_url(problem.pk, "#incidents"),
    )
