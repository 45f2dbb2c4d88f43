"""Integration pages (staff only; client users never manage them): the list, the create form with
its mapping rule rows, the page showing a fresh key once with copy-ready sender configuration,
and the integration's page where it is edited and its key rotated."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.actors import signed_in
from opsdesk.core.errors import DomainError
from opsdesk.core.views import (
    errors_on_fields,
    int_param,
    object_timeline,
    paginate,
    run_action,
    staff_page,
)

from . import keys, page_queries, queries, sender_configs, services
from .change_events import deliveries as change_event_deliveries
from .change_events import queries as change_event_queries
from .forms import IntegrationForm, RuleFormSet, rule_rows, with_more_rows
from .heartbeats import views as heartbeat_views
from .models import Integration

WRITE = "integrations.write"


def _can_write(user: Any) -> bool:
    return bool(user.has_perm_code(WRITE))


def _require_write(user: Any) -> None:
    if not _can_write(user):
        raise PermissionDenied("Your role may not manage integrations.")


def _detail_url(integration_id: int) -> str:
    return reverse("alerts:integration", args=[integration_id])


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
@staff_page
def integration_list(request: HttpRequest) -> HttpResponse:
    """Integrations: where alerts come from, for which client."""
    filters = {"client": int_param(request, "client"), "kind": request.GET.get("kind", "").strip()[:20] or None}
    page = paginate(request, page_queries.list_integrations(request.user, filters))
    context = {"page": page, "filters": filters, "kinds": Integration.Kind.choices,
               "clients": page_queries.form_choices(request.user)["clients"], "can_write": _can_write(request.user)}
    return render(request, "alerts/integration_list.html", context)


def _rule_errors(form: IntegrationForm, rules: RuleFormSet, exc: DomainError) -> None:
    """A refusal's reasons on the rule rows they name ("rules[2].value"), else on the form."""
    filled = rules.filled()
    rest = []
    for error in exc.errors:
        name = str(error.get("field", ""))
        if name.startswith("rules[") and "]" in name:
            position, _, field = name[len("rules["):].partition("]")
            field = field.lstrip(".")
            if position.isdigit() and int(position) < len(filled):
                row = filled[int(position)][1]
                row.add_error(field if field in row.fields else None, str(error.get("message", exc.detail)))
                continue
        rest.append(error)
    if rest or not exc.errors:
        errors_on_fields(form, DomainError(exc.detail, errors=rest))


def _save(request: HttpRequest, form: IntegrationForm, rules: RuleFormSet, integration: Integration | None) -> Any:
    """Create or update through the services; the result, or None with the reasons on the forms."""
    if not (form.is_valid() and rules.is_valid()):
        return None
    data = {**form.to_data(), "rules": rules.to_data()}
    try:
        if integration is None:
            return services.create_integration(data, actor=signed_in(request.user))
        return services.update_integration(integration, data, actor=signed_in(request.user))
    except DomainError as exc:
        _rule_errors(form, rules, exc)
        return None


def _forms(request: HttpRequest, integration: Integration | None) -> tuple[IntegrationForm, RuleFormSet]:
    """The integration form and its rule rows: bound on POST ("More rows" adds blank rows)."""
    choices = page_queries.form_choices(request.user)
    rule_choices = {"services": choices["services"], "sites": choices["sites"]}
    if request.method == "POST":
        data = with_more_rows(request.POST) if "more_rows" in request.POST else request.POST
        return (IntegrationForm(data, integration=integration, **choices),
                RuleFormSet(data, **rule_choices))
    initial = IntegrationForm.initial_for(integration) if integration is not None else None
    return (IntegrationForm(initial=initial, integration=integration, **choices),
            RuleFormSet(initial=rule_rows(integration), **rule_choices))


@require_http_methods(["GET", "POST"])
@staff_page
def integration_new(request: HttpRequest) -> HttpResponse:
    """Add an integration; its key is shown once on the next page."""
    _require_write(request.user)
    form, rules = _forms(request, None)
    status = 200
    if request.method == "POST" and "more_rows" not in request.POST:
        made = _save(request, form, rules, None)
        if made is not None:
            integration, raw = made
            page_queries.keep_key(request.session, integration.pk, raw)
            messages.success(request, f"Integration {integration.name} added. Copy its key now: it is shown only once.")
            return HttpResponseRedirect(reverse("alerts:integration-key", args=[integration.pk]))
        status = 400
    return render(request, "alerts/integration_form.html", {"form": form, "rules": rules, "integration": None},
                  status=status)


@require_GET
@staff_page
def integration_key(request: HttpRequest, integration_id: int) -> HttpResponse:
    """The fresh key (and signing secret) with sender configuration to copy; once, then never again."""
    _require_write(request.user)
    integration = queries.get_integration(request.user, integration_id)
    raw = page_queries.take_key(request.session, integration.pk)
    if raw is None:
        messages.info(request, "The key was shown once when it was made. Rotate the key to get a new one.")
        return HttpResponseRedirect(_detail_url(integration.pk))
    secret = keys.signing_secret(integration.signing_salt) if integration.signature_header else None
    examples = sender_configs.examples(
        integration.kind, _base(request), raw, signature_header=integration.signature_header,
        timestamp_header=integration.timestamp_header, secret=secret,
    )
    context = {"integration": integration, "key": raw, "secret": secret, "examples": examples,
               "url": sender_configs.intake_url(_base(request), integration.kind, raw)}
    response = render(request, "alerts/integration_key.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@staff_page
def integration_detail(request: HttpRequest, integration_id: int) -> HttpResponse:
    """One integration: how to send to it, its settings and mapping rules (editable), its history."""
    integration = queries.get_integration(request.user, integration_id)
    can_write = _can_write(request.user)
    if request.method == "POST":
        _require_write(request.user)
    form, rules = _forms(request, integration)
    status = 200
    if request.method == "POST" and "more_rows" not in request.POST:
        if _save(request, form, rules, integration) is not None:
            messages.success(request, f"{integration.name} saved.")
            return HttpResponseRedirect(_detail_url(integration.pk))
        status = 400
    context = {
        "integration": integration, "form": form if can_write else None, "rules": rules if can_write else None,
        "can_write": can_write, "timeline": object_timeline(request, integration),
        "examples": sender_configs.examples(integration.kind, _base(request),
                                            signature_header=integration.signature_header,
                                            timestamp_header=integration.timestamp_header),
        "url": sender_configs.intake_url(_base(request), integration.kind, sender_configs.KEY_PLACEHOLDER),
        "change_events": change_event_queries.recent_for_integration(integration.pk),
        "change_event_url": _base(request) + (change_event_deliveries.PAGERDUTY_PATH if integration.kind == "events_v2"
                                              else change_event_deliveries.GENERIC_PATH + "/" + sender_configs.KEY_PLACEHOLDER),
        **heartbeat_views.for_integration_page(request, integration, can_write),
    }
    return render(request, "alerts/integration_detail.html", context, status=status)


@require_POST
@staff_page
def rotate_key(request: HttpRequest, integration_id: int) -> HttpResponse:
    """A new key (and signing secret); the old ones stop working at once. Shown once on the next page."""
    _require_write(request.user)
    integration = queries.get_integration(request.user, integration_id)
    made: list[str] = []
    if run_action(request, lambda: made.append(services.rotate_key(integration, actor=signed_in(request.user))),
                  "Key rotated: the old key no longer works. Copy the new one now."):
        page_queries.keep_key(request.session, integration.pk, made[0])
        return HttpResponseRedirect(reverse("alerts:integration-key", args=[integration.pk]))
    return HttpResponseRedirect(_detail_url(integration.pk))
