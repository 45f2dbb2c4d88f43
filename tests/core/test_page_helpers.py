"""The shared page helpers: form actions (core.views) and the badge, label and select filters
(core.templatetags.opsdesk_ui) that the apps' pages are built from."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory

from opsdesk.core.clock import zone_or_utc
from opsdesk.core.errors import Conflict, field_error
from opsdesk.core.templatetags.opsdesk_ui import choices, class_filter, label_filter
from opsdesk.core.views import errors_on_fields, form_action, run_action, submit_form


class NoteForm(forms.Form):
    title = forms.CharField()
    body = forms.CharField(required=False)


def post(data: dict[str, str]) -> Any:
    request = RequestFactory().post("/x/", data)
    request._messages = CookieStorage(request)
    return request


def said(request: Any) -> list[tuple[str, str]]:
    return [(m.tags, m.message) for m in get_messages(request)]


def refuse(*_: Any) -> None:
    raise field_error("title", "already taken")


# -- form_action and run_action -------------------------------------------------------------------


def test_form_action_calls_the_service_with_the_cleaned_data_and_says_so():
    request, seen = post({"title": " Hello "}), []
    response = form_action(
        request,
        NoteForm(request.POST),
        seen.append,
        success=lambda d: f"Saved {d['title']}.",
        invalid="Give a title.",
        redirect_to="/done/#notes",
    )
    assert (response.status_code, response["Location"]) == (302, "/done/#notes")
    assert seen == [{"title": "Hello", "body": ""}]
    assert said(request) == [("success", "Saved Hello.")]


def test_form_action_turns_a_refusal_into_its_detail_and_may_go_elsewhere():
    request = post({"title": "Hello"})
    response = form_action(
        request,
        NoteForm(request.POST),
        refuse,
        success="Saved.",
        invalid="Give a title.",
        redirect_to="/done/#notes",
        refused_to="/done/",
    )
    assert response["Location"] == "/done/"
    assert said(request) == [("error", "title: already taken")]


@pytest.mark.parametrize(
    ("invalid_to", "status", "where"),
    [(None, 302, "/done/"), ("/done/#form", 302, "/done/#form"), ("page", 400, None)],
)
def test_form_action_answers_an_invalid_form_without_calling_the_service(invalid_to, status, where):
    request, seen = post({"title": ""}), []
    page = lambda: HttpResponse("the form again", status=400)  # noqa: E731
    response = form_action(
        request,
        NoteForm(request.POST),
        seen.append,
        success="Saved.",
        invalid="Give a title.",
        redirect_to="/done/",
        invalid_to=page if invalid_to == "page" else invalid_to,
    )
    assert (response.status_code, response.get("Location")) == (status, where)
    assert seen == [] and said(request) == [("error", "Give a title.")]


def test_run_action_reports_success_or_the_refusal():
    request = post({})
    assert run_action(request, lambda: None, "Done.") is True
    assert run_action(request, refuse, "Done.") is False
    assert said(request) == [("success", "Done."), ("error", "title: already taken")]


# -- submit_form and errors_on_fields -------------------------------------------------------------


def test_submit_form_redirects_with_a_message_made_from_the_result():
    request = post({"title": "Hello"})
    response = submit_form(
        request,
        NoteForm(request.POST),
        lambda f: SimpleNamespace(pk=7, title=f.cleaned_data["title"]),
        success=lambda note: f"Note {note.pk} saved.",
        redirect_to=lambda note: f"/notes/{note.pk}/",
    )
    assert response is not None and response["Location"] == "/notes/7/"
    assert said(request) == [("success", "Note 7 saved.")]


def test_submit_form_leaves_an_invalid_or_refused_form_to_be_shown_again():
    request = post({"title": ""})
    invalid = NoteForm(request.POST)
    assert submit_form(request, invalid, refuse, success="Saved.", redirect_to="/") is None
    assert "title" in invalid.errors
    refused = NoteForm(post({"title": "Hello"}).POST)
    assert submit_form(request, refused, refuse, success="Saved.", redirect_to="/") is None
    assert refused.non_field_errors() == ["title: already taken"]
    on_fields = NoteForm(post({"title": "Hello"}).POST)
    assert (
        submit_form(
            request, on_fields, refuse, success="Saved.", redirect_to="/", refused=errors_on_fields
        )
        is None
    )
    assert on_fields.errors == {"title": ["already taken"]}
    assert said(request) == []


def test_errors_on_fields_follows_aliases_and_falls_back_to_the_top():
    form = NoteForm({"title": "x"})
    form.is_valid()
    errors_on_fields(form, field_error("heading.0", "too long"), aliases={"heading": "title"})
    errors_on_fields(form, Conflict("Not now.", errors=[{"field": "elsewhere", "message": "no"}]))
    assert form.errors == {"title": ["too long"], "__all__": ["Not now."]}


# -- filters --------------------------------------------------------------------------------------


def test_class_filter_maps_a_value_to_a_prefixed_class_with_a_default():
    badge = class_filter({"p1": "danger"})
    risk = class_filter({"high": "high"}, prefix="risk-", default="none")
    assert (badge("p1"), badge("p9"), badge(None)) == (
        "badge-danger",
        "badge-neutral",
        "badge-neutral",
    )
    assert (risk("high"), risk(""), risk(None)) == ("risk-high", "risk-none", "risk-none")
    assert class_filter({1: "low"}, prefix="", default="medium")(1) == "low"


def test_label_filter_gives_the_words_or_the_value_in_words():
    label = label_filter({"site_requirement": "Site rule"})
    titled = label_filter({}, fallback=str.title)
    assert (label("site_requirement"), label("rolled_back"), label(None), label("")) == (
        "Site rule",
        "Rolled back",
        "",
        "",
    )
    assert titled("rolled_back") == "Rolled Back"


def test_choices_makes_select_pairs_from_objects():
    sites = [
        SimpleNamespace(pk=3, code="lon-a", name="London A"),
        SimpleNamespace(pk=4, code="nyc", name="New York"),
    ]
    assert choices(sites, "pk code") == [(3, "lon-a"), (4, "nyc")]
    assert choices(sites, "pk code name") == [(3, "lon-a · London A"), (4, "nyc · New York")]


def test_zone_or_utc_never_fails_on_a_bad_name():
    assert str(zone_or_utc("Europe/London")) == "Europe/London"
    assert str(zone_or_utc("")) == str(zone_or_utc("Not/AZone")) == str(zone_or_utc(None)) == "UTC"
