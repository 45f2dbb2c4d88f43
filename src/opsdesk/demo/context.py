"""What the demo builders share: the size plan, seeded randomness, and what earlier steps built."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Model

from opsdesk.core import clock

from .data import CLIENTS
from .service_data import STACKS
from .site_data import SITES

if TYPE_CHECKING:
    from opsdesk.people.models import Engineer
    from opsdesk.services.models import Service
    from opsdesk.sites.models import Region, Site
    from opsdesk.tenancy.models import Client

    from .site_data import SiteDef

SIZES = {"small": 1, "large": 10}
# Generated work orders (demo/volume.py) besides the curated ones, per size.
VOLUMES = {"small": 0, "large": 1_000_000}
# Copies of the organisation whose changes and work orders are told as curated stories through the
# services (each with its full timeline); the other copies get windows, rules and generated volume.
STORY_COPIES = 2


@dataclass(frozen=True)
class Plan:
    """How big the demo is: the small organisation repeated `copies` times."""

    size: str
    copies: int
    volume: int = 0

    @property
    def story_copies(self) -> int:
        """Copies whose changes and work orders go through the services as curated stories."""
        return min(self.copies, STORY_COPIES)

    @property
    def clients(self) -> int:
        """Clients to create."""
        return len(CLIENTS) * self.copies

    @property
    def sites(self) -> int:
        """Sites to create."""
        return len(SITES) * self.copies

    @property
    def engineers(self) -> int:
        """Engineers to create."""
        return sum(s.engineers for s in SITES) * self.copies

    @property
    def services(self) -> int:
        """Services to create."""
        return sum(len(STACKS[c.sector]) for c in CLIENTS) * self.copies


def plan_for(size: str, volume: int | None = None) -> Plan:
    """The plan for a named size (generated work orders: the size's, or `volume`); ValueError for an unknown one."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size '{size}'; sizes: {', '.join(SIZES)}")
    if volume is not None and not 0 <= volume <= 10_000_000:
        raise ValueError("the number of generated work orders must be between 0 and 10,000,000")
    return Plan(size=size, copies=SIZES[size], volume=VOLUMES[size] if volume is None else volume)


class Login(NamedTuple):
    """A demo login to print."""

    username: str
    role: str
    client: str
    name: str


@dataclass
class PlacedSite:
    """A built site with the definition it came from and the copy of the organisation it is in."""

    site: Site
    definition: SiteDef
    copy: int
    city: str


@dataclass
class DemoContext:
    """State passed from builder to builder during one load."""

    plan: Plan
    seed: int
    today: dt.date
    # The time of day (UTC) of the demo's "now" (see demo_now): taken once when the load starts, so
    # every step tells its story as of the same instant; tests pass one for figures that hold all day.
    time_of_day: dt.time = dt.time(10, 0)
    regions: dict[str, Region] = field(default_factory=dict)
    clients: list[list[Client]] = field(default_factory=list)  # [copy][index in CLIENTS]
    sites: list[PlacedSite] = field(default_factory=list)
    engineers: list[Engineer] = field(default_factory=list)
    engineer_sites: dict[int, PlacedSite] = field(default_factory=dict)  # engineer pk -> home site
    services: list[Service] = field(default_factory=list)
    logins: list[Login] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed once after the load (e.g. integration keys)
    # Work one step starts in the background for a later step (e.g. the volume's history, generated
    # in a forked process while the curated stories load); each has close(), called when the load ends.
    background: dict[str, Any] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        """A random stream of its own per step, so adding a step never changes earlier data."""
        return random.Random(f"opsdesk-demo:{self.seed}:{step}")

    def count(self, label: str, n: int) -> None:
        """Remember how many rows of a kind were created, for the summary."""
        self.counts[label] = self.counts.get(label, 0) + n

    def client_for(self, copy: int, code: str) -> Client:
        """The client of a copy that plays the role of small-demo client `code`."""
        index = next(i for i, c in enumerate(CLIENTS) if c.code == code)
        return self.clients[copy][index]

    def sites_of_copy(self, copy: int) -> dict[str, PlacedSite]:
        """A copy's sites keyed by the small-demo site code they stand for."""
        return {p.definition.code: p for p in self.sites if p.copy == copy}


def validate(obj: Model, *, exclude: tuple[str, ...] = ()) -> None:
    """Run a model's field and clean() validation without per-row database queries."""
    relations = tuple(f.name for f in obj._meta.concrete_fields if f.is_relation)
    obj.clean_fields(exclude=[*relations, *exclude])
    obj.clean()


def jitter(
    lat: float, lon: float, rng: random.Random, min_km: float, max_km: float
) -> tuple[float, float]:
    """A point between min_km and max_km from (lat, lon) in a random direction, rounded to ~1 m."""
    distance = rng.uniform(min_km, max_km)
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111.0
    dlon = distance * math.sin(bearing) / (111.0 * max(math.cos(math.radians(lat)), 0.1))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def work_now(ctx: DemoContext) -> dt.datetime:
    """The moment the demo's changes and work orders are as of: 09:00 UTC on its today."""
    return dt.datetime.combine(ctx.today, dt.time(9, 0), tzinfo=dt.UTC)


def demo_now(ctx: DemoContext) -> dt.datetime:
    """The demo's "now": its today at the load's time of day (UTC), as the incidents and SLOs use."""
    return dt.datetime.combine(ctx.today, ctx.time_of_day, tzinfo=dt.UTC)


def frozen_before(moment: dt.datetime, now: dt.datetime) -> Any:
    """The clock frozen at a step's moment, never after `now` (a context manager)."""
    return clock.frozen(min(moment, now))
