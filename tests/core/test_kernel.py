"""Kernel: state machines, the clock, tenancy scoping, the timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.core import clock, tenancy, timeline
from opsdesk.core.errors import NotFound
from opsdesk.core.fsm import InvalidTransition, Machine
from opsdesk.sites.models import Region, Site
from tests import factories as f

DOOR = Machine.build("door", ["open", "closed", "locked"], {"open": ["closed"], "closed": ["open", "locked"], "locked": ["closed"]})


@pytest.mark.parametrize(("src", "dst", "ok"), [("open", "closed", True), ("closed", "locked", True),
                                                ("open", "locked", False), ("locked", "open", False)])
def test_machine_allows_only_table_edges(src, dst, ok):
    assert DOOR.can(src, dst) is ok
    if ok:
        assert DOOR.apply(src, dst) == dst
    else:
        with pytest.raises(InvalidTransition) as exc:
            DOOR.apply(src, dst)
        assert exc.value.status == 409 and f"'{src}'" in exc.value.detail


def test_machine_rejects_unknown_states():
    with pytest.raises(InvalidTransition, match="not a door state"):
        DOOR.apply("open", "ajar")
    with pytest.raises(ValueError):
        Machine.build("bad", ["a"], {"a": ["b"]})


def test_clock_is_aware_and_freezable():
    assert clock.now().tzinfo is not None
    at = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    with clock.frozen(at):
        assert clock.now() == at
    assert clock.now() != at
    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 1)):
        pass


@pytest.mark.django_db
def test_scope_by_role():
    a, b = f.make_client(), f.make_client()
    region = f.make_region()
    sa = f.make_site(region=region, clients=[a])
    shared = f.make_site(region=region, clients=[a, b])
    f.make_site(region=region, clients=[b])
    staff = f.make_user("dispatcher")
    cu = f.make_user("client", client=a)
    assert tenancy.scope(Site.objects.all(), staff).count() == 3
    assert set(tenancy.scope(Site.objects.all(), cu)) == {sa, shared}
    assert tenancy.scope(Region.objects.all(), cu).count() == 1
    assert tenancy.scope(Site.objects.all(), None).count() == 0
    with pytest.raises(NotFound):
        tenancy.get_scoped(Site.objects.all(), cu, pk=Site.objects.exclude(pk__in=[sa.pk, shared.pk]).get().pk)


@pytest.mark.django_db
def test_timeline_records_before_and_after():
    site = f.make_site(name="Old")
    before = timeline.snapshot(site)
    site.name = "New"
    entry = timeline.record(site, "updated", actor=f.make_user("admin"), changes=timeline.diff(before, timeline.snapshot(site)))
    assert entry.changes == {"name": ["Old", "New"]}
    assert list(timeline.for_object(site)) == [entry]
