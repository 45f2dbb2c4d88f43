"""Server-rendered pages: they render, they hide other clients' objects, they escape user text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from opsdesk.core import clock, notify, timeline
from opsdesk.core.models import Notification
from tests import factories as f

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


@pytest.fixture
def world():
    """Two clients, each with a site, a service and a client user; an engineer; a staff user."""
    a, b = f.make_client(name="Alpha Health"), f.make_client(name="Beta Bank")
    site_a = f.make_site(
        clients=[a],
        name="Alpha DC",
        time_zone="Asia/Kolkata",
        holiday_country="IN",
        holiday_subdivision="",
    )
    site_b = f.make_site(
        clients=[b],
        name="Beta DC",
        time_zone="America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
    )
    f.make_requirement(site_a, description="Escort required inside the hall", kind="escort")
    svc_a, svc_b = f.make_service(a, sites=[site_a]), f.make_service(b, sites=[site_b])
    db = f.make_service(a, name="Alpha DB")
    f.depend(svc_a, db)
    engineer = f.make_engineer(site_a.region)
    f.give_skill(engineer, "fibre", 4)
    f.give_certification(engineer, "ccna", clock.today_utc() + dt.timedelta(days=10))
    f.give_certification(engineer, "elec", clock.today_utc() - dt.timedelta(days=1))
    f.give_access(engineer, site_a, expires_on=clock.today_utc() + dt.timedelta(days=200))
    staff = f.make_user("service_desk")
    return {
        "a": a,
        "b": b,
        "site_a": site_a,
        "site_b": site_b,
        "svc_a": svc_a,
        "svc_b": svc_b,
        "db": db,
        "engineer": engineer,
        "staff": staff,
        "user_a": f.make_user("client", client=a),
    }


def login(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def staff_pages(w) -> list[str]:
    return [
        reverse("home"),
        reverse("inbox"),
        reverse("sites:list"),
        reverse("sites:detail", args=[w["site_a"].pk]),
        reverse("people:list"),
        reverse("people:detail", args=[w["engineer"].pk]),
        reverse("services:list"),
        reverse("services:detail", args=[w["svc_a"].pk]),
        reverse("services:detail", args=[w["db"].pk]),
        reverse("tenancy:list"),
        reverse("tenancy:detail", args=[w["a"].pk]),
    ]


def test_every_page_renders_for_staff(world):
    http = login(world["staff"])
    for url in staff_pages(world):
        response = http.get(url)
        assert response.status_code == 200, url
        assert b"Sign out" in response.content


def test_admin_pages_render(world, admin_user):
    http = login(admin_user)
    for model in (
        "sites/site",
        "people/engineer",
        "services/service",
        "tenancy/client",
        "accounts/user",
        "core/activity",
    ):
        assert http.get(f"/admin/{model}/").status_code == 200, model
    assert http.get(f"/admin/sites/site/{world['site_a'].pk}/change/").status_code == 200
    assert http.get(f"/admin/people/engineer/{world['engineer'].pk}/change/").status_code == 200
    assert http.get(f"/admin/services/service/{world['svc_a'].pk}/change/").status_code == 200


@pytest.mark.parametrize("url", ["/", "/inbox/", "/sites/", "/people/", "/services/", "/clients/"])
def test_login_required(db, url):
    response = HttpClient().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_and_sign_in(world):
    http = HttpClient()
    assert http.get(reverse("login")).status_code == 200
    response = http.post(
        reverse("login"),
        {"username": world["staff"].username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = http.get(reverse("home"))
    assert b"Service desk agent" in home.content


def test_logout_is_a_post(world):
    http = login(world["staff"])
    assert http.post(reverse("logout")).status_code == 302
    assert http.get(reverse("home")).status_code == 302


def test_client_user_sees_only_their_own(world):
    http = login(world["user_a"])
    assert http.get(reverse("sites:detail", args=[world["site_a"].pk])).status_code == 200
    assert http.get(reverse("services:detail", args=[world["svc_a"].pk])).status_code == 200
    assert http.get(reverse("tenancy:detail", args=[world["a"].pk])).status_code == 200
    assert http.get(reverse("sites:detail", args=[world["site_b"].pk])).status_code == 404
    assert http.get(reverse("services:detail", args=[world["svc_b"].pk])).status_code == 404
    assert http.get(reverse("tenancy:detail", args=[world["b"].pk])).status_code == 404
    assert http.get(reverse("people:list")).status_code == 404
    assert http.get(reverse("people:detail", args=[world["engineer"].pk])).status_code == 404
    for url in (
        reverse("sites:list"),
        reverse("services:list"),
        reverse("tenancy:list"),
        reverse("home"),
    ):
        body = http.get(url).content.decode()
        assert "Beta" not in body, url


def test_client_user_does_not_see_engineers_on_site_page(world):
    body = (
        login(world["user_a"])
        .get(reverse("sites:detail", args=[world["site_a"].pk]))
        .content.decode()
    )
    assert "Engineers with access" not in body
    assert world["engineer"].name not in body
    assert "People" not in body.split("</nav>")[0]


def test_missing_objects_are_404(world):
    http = login(world["staff"])
    for name in ("sites:detail", "people:detail", "services:detail", "tenancy:detail"):
        assert http.get(reverse(name, args=[999999])).status_code == 404


def test_site_detail_shows_clock_requirements_and_holidays(world):
    at = dt.datetime(2026, 12, 24, 3, 0, tzinfo=dt.UTC)  # 08:30 in Kolkata; 25 Dec ahead
    with clock.frozen(at):
        body = (
            login(world["staff"])
            .get(reverse("sites:detail", args=[world["site_a"].pk]))
            .content.decode()
        )
    assert "Asia/Kolkata" in body and "UTC+05:30" in body
    assert ">08:30<" in body  # local time, not UTC
    assert "Escort required inside the hall" in body
    assert "Christmas" in body
    assert "Open now" in body


def test_local_time_in_site_list_is_site_local(world):
    with clock.frozen(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)):
        body = login(world["staff"]).get(reverse("sites:list")).content.decode()
    assert "Wed 17:30" in body  # Kolkata
    assert "Wed 08:00" in body  # New York (EDT)


def test_engineer_page_warns_about_expiry(world):
    body = (
        login(world["staff"])
        .get(reverse("people:detail", args=[world["engineer"].pk]))
        .content.decode()
    )
    assert "Expires in 10 days" in body
    assert "Expired" in body


def test_service_page_shows_dependencies_and_graph(world):
    body = (
        login(world["staff"])
        .get(reverse("services:detail", args=[world["svc_a"].pk]))
        .content.decode()
    )
    assert "Alpha DB" in body and "<svg" in body and "direct" in body
    down = (
        login(world["staff"])
        .get(reverse("services:detail", args=[world["db"].pk]))
        .content.decode()
    )
    assert world["svc_a"].name in down


def test_filters(world):
    http = login(world["staff"])
    body = http.get(reverse("sites:list"), {"q": "Alpha"}).content.decode()
    assert "Alpha DC" in body and "Beta DC" not in body
    body = http.get(reverse("sites:list"), {"client": world["b"].pk}).content.decode()
    assert "Beta DC" in body and "Alpha DC" not in body
    body = http.get(
        reverse("services:list"), {"client": world["a"].pk, "criticality": "x"}
    ).content.decode()
    assert world["svc_a"].name in body and world["svc_b"].name not in body
    body = http.get(reverse("people:list"), {"skill": "fibre"}).content.decode()
    assert world["engineer"].name in body
    body = http.get(reverse("people:list"), {"skill": "nope"}).content.decode()
    assert world["engineer"].name not in body


def test_htmx_filter_returns_rows_only(world):
    response = login(world["staff"]).get(
        reverse("sites:list"), {"q": "Alpha"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Alpha DC" in body and "<html" not in body


def test_user_text_is_escaped(world):
    client = f.make_client(name=f"Client {XSS}")
    site = f.make_site(clients=[client], name=f"Site {XSS}", address=XSS)
    f.make_requirement(site, description=f"Req {XSS}", categories=[XSS])
    svc = f.make_service(client, name=f"Svc {XSS}", description=XSS, sites=[site])
    f.depend(world["svc_a"], svc)
    engineer = f.make_engineer(name=f"Eng {XSS}", base_location=XSS)
    f.give_access(engineer, site)
    timeline.record(
        site, "updated", actor=world["staff"], summary=XSS, changes={"name": ["a", XSS]}
    )
    notify.notify([world["staff"]], XSS, XSS, url="javascript:alert(1)")
    http = login(world["staff"])
    urls = [
        reverse("home"),
        reverse("inbox"),
        reverse("sites:list"),
        reverse("sites:detail", args=[site.pk]),
        reverse("services:list"),
        reverse("services:detail", args=[svc.pk]),
        reverse("services:detail", args=[world["svc_a"].pk]),
        reverse("people:list"),
        reverse("people:detail", args=[engineer.pk]),
        reverse("tenancy:list"),
        reverse("tenancy:detail", args=[client.pk]),
    ]
    for url in urls:
        body = http.get(url).content.decode()
        assert XSS not in body, url
        assert "javascript:alert" not in body, url
    assert ESCAPED in http.get(reverse("sites:detail", args=[site.pk])).content.decode()


def test_inbox_mark_read(world):
    staff = world["staff"]
    first, second = notify.notify([staff], "One"), notify.notify([staff], "Two")
    http = login(staff)
    assert http.get(reverse("inbox")).status_code == 200
    assert http.get(reverse("inbox-read")).status_code == 405
    http.post(reverse("inbox-read"), {"id": first[0].pk})
    assert Notification.objects.get(pk=first[0].pk).read_at is not None
    assert Notification.objects.get(pk=second[0].pk).read_at is None
    http.post(reverse("inbox-read"))
    assert notify.unread_count(staff) == 0


def test_cannot_mark_someone_elses_notification(world):
    other = notify.notify([world["user_a"]], "Theirs")[0]
    login(world["staff"]).post(reverse("inbox-read"), {"id": other.pk})
    assert Notification.objects.get(pk=other.pk).read_at is None


def _bulk(world, n: int = 12) -> None:
    for i in range(n):
        site = f.make_site(clients=[world["a"]])
        f.make_requirement(site)
        svc = f.make_service(world["a"], sites=[site])
        f.depend(svc, world["db"])
        e = f.make_engineer(site.region)
        f.give_skill(e, f"skill-{i}")
        f.give_certification(e, f"cert-{i}", clock.today_utc())
        f.give_access(e, site)


@pytest.mark.parametrize("name", ["sites:list", "services:list", "people:list", "tenancy:list"])
def test_list_query_counts_are_bounded(world, name, django_assert_max_num_queries):
    http = login(world["staff"])
    http.get(reverse(name))  # warm caches (content types, session)
    _bulk(world)
    with django_assert_max_num_queries(12):
        assert http.get(reverse(name)).status_code == 200


def test_admin_edit_records_timeline(world, admin_user):
    site = world["site_a"]
    http = login(admin_user)
    page = http.get(f"/admin/sites/site/{site.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "name": "Alpha DC renamed",
            "clients": [c.pk for c in site.clients.all()],
            "business_hours": '{"mon": [["08:00", "18:00"]]}',
            "requirements-TOTAL_FORMS": "0",
            "requirements-INITIAL_FORMS": "0",
        }
    )
    response = http.post(f"/admin/sites/site/{site.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = timeline.for_object(site).last()
    assert entry.verb == "updated" and entry.actor_label == admin_user.username
    assert entry.changes["name"] == ["Alpha DC", "Alpha DC renamed"]


def test_not_found_page_is_ours(world, settings):
    settings.DEBUG = False
    response = login(world["user_a"]).get(reverse("sites:detail", args=[world["site_b"].pk]))
    assert response.status_code == 404
    assert b"Not found" in response.content and b"Sign out" in response.content
    assert world["site_b"].name.encode() not in response.content
