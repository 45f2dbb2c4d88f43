"""Exactly once with two workers on PostgreSQL: two threads running advance_due and send_due on the
same due escalations create each Page once and send each email once (a real SMTP server counts)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connections

from opsdesk.core import clock
from opsdesk.paging import services
from opsdesk.paging.models import Page
from tests import factories as f

from .conftest import Inbox
from .helpers import T0, make_policy, open_incident, rule

INCIDENTS, PEOPLE = 12, 6


def _two_workers(rounds: list[object]) -> list[BaseException]:
    """Run advance_due then send_due in two threads at once, for each instant of `rounds`."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            for at in rounds:
                barrier.wait(30)
                with clock.frozen(at):  # type: ignore[arg-type]
                    services.advance_due(at)  # type: ignore[arg-type]
                    services.send_due(at)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


if "postgresql" in settings.DATABASES["default"]["ENGINE"]:

    @pytest.mark.django_db(transaction=True)
    def test_two_workers_page_and_send_each_notification_once(smtp: Inbox) -> None:
        import datetime as dt

        people = [f.make_user("engineer") for _ in range(PEOPLE)]
        for p in people[:2]:
            rule(p, "high", delay=0)
            rule(p, "high", delay=1)  # a second email a minute later
        make_policy({"target_kind": "team", "team": "EPR", "wait_minutes": 2},
                    {"target_kind": "roles", "roles": [], "wait_minutes": 2})
        from django.contrib.auth.models import Group

        group = Group.objects.create(name="EPR")
        for p in people:
            p.groups.add(group)
        owner = f.make_user("incident_commander")
        for _ in range(INCIDENTS):
            open_incident(owner)
        minute = dt.timedelta(minutes=1)
        errors = _two_workers([T0, T0 + minute, T0 + 2 * minute, T0 + 3 * minute, T0 + 5 * minute])
        assert not errors, errors
        # per incident: step 1 pages 6 people (2 of them twice), step 2 the owner
        per_incident = PEOPLE + 2 + 1
        assert Page.objects.count() == INCIDENTS * per_incident
        assert set(Page.objects.values_list("state", flat=True)) == {"sent"}
        ids = Counter(smtp.ids())
        assert len(smtp.messages) == INCIDENTS * per_incident
        assert all(n == 1 for n in ids.values()), [k for k, n in ids.items() if n > 1]
