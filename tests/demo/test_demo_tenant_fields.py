"""On the demo, each client user's change and incident pages and API answers name no other client.

The demo's shared changes (a bank's change at a data centre a hospital group also uses) were
shown to every client of the site with the other clients' names, approvers, sites and services
(issue 16, defect 0: /changes/18/ as client-northgate showed "for Meridian Bank").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from opsdesk.accounts.models import User
from opsdesk.changes.models import ChangeRequest
from opsdesk.core import clock
from opsdesk.core.tenancy import scope
from opsdesk.incidents.models import Incident
from opsdesk.services.models import Service
from opsdesk.sites.models import Site
from opsdesk.tenancy.models import Client

pytestmark = pytest.mark.usefixtures("demo", "db")


def _markers(reader: Any) -> list[str]:
    """Other clients' names and codes, their users, and the sites and services only they have."""
    own_sites = set(Site.objects.filter(clients=reader.client_id).values_list("code", flat=True))
    own_services = set(Service.objects.filter(client_id=reader.client_id).values_list("name", flat=True))
    found = []
    for client in Client.objects.exclude(pk=reader.client_id):
        found += [client.name, client.code]
    for user in User.objects.filter(client__isnull=False).exclude(client_id=reader.client_id):
        found += [user.username, user.get_full_name()]
    found += [c for c in Site.objects.exclude(clients=reader.client_id).values_list("code", flat=True) if c not in own_sites]
    found += [n for n in Service.objects.exclude(client_id=reader.client_id).values_list("name", flat=True)
              if n not in own_services]
    return [m for m in found if m]


def _now(demo: Any) -> dt.datetime:
    return dt.datetime.combine(demo.today, dt.time(9, 0), tzinfo=dt.UTC)


def _leaks(markers: list[str], body: str) -> list[str]:
    return sorted({m for m in markers if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", body)})


def test_no_client_user_sees_another_clients_name_on_a_shared_change_or_incident(demo) -> None:
    problems = []
    readers = list(User.objects.filter(role="client").order_by("username"))
    assert len(readers) >= 5
    shared_seen = 0
    with clock.frozen(_now(demo)):
        for reader in readers:
            http = HttpClient()
            http.force_login(reader)
            markers = _markers(reader)
            changes = scope(ChangeRequest.objects.all(), reader).order_by("pk")
            incidents = scope(Incident.objects.all(), reader).order_by("pk")
            urls = []
            for change in changes:
                shared_seen += change.clients.count() > 1
                urls += [f"/changes/{change.pk}/", f"/api/v1/changes/{change.pk}", f"/api/v1/changes/{change.pk}/risk",
                         f"/api/v1/changes/{change.pk}/approvals", f"/api/v1/changes/{change.pk}/collisions"]
            for incident in incidents:
                urls += [f"/incidents/{incident.pk}/", f"/api/v1/incidents/{incident.pk}",
                         f"/api/v1/incidents/{incident.pk}/updates"]
            urls += ["/changes/", "/api/v1/changes?limit=500", "/api/v1/incidents?limit=500", "/incidents/"]
            for url in urls:
                r = http.get(url)
                assert r.status_code == 200, (reader.username, url, r.status_code)
                leaks = _leaks(markers, r.content.decode())
                if leaks:
                    problems.append(f"{reader.username} {url}: {leaks}")
    assert shared_seen >= 10
    assert not problems, "\n".join(problems)


def test_northgate_reads_its_own_part_of_chg_18(demo) -> None:
    """The issue's example (CHG-18 in the demo): Northgate's site, no Meridian service, no Meridian approver."""
    reader = User.objects.get(username="client-northgate")
    change = ChangeRequest.objects.get(title="Market data feed handler upgrade")
    assert {c.code for c in change.clients.all()} >= {"northgate", "meridian"}
    http = HttpClient()
    http.force_login(reader)
    with clock.frozen(_now(demo)):
        body = http.get(f"/api/v1/changes/{change.pk}").json()
    own_sites = set(Site.objects.filter(clients=reader.client_id).values_list("pk", flat=True))
    assert body["sites"] and set(body["sites"]) <= own_sites
    assert body["clients"] == [reader.client_id]
    assert all(a["capacity"] != "client" for a in body["approvals"])
    assert body["risk"]["score"] == change.risk["score"]
