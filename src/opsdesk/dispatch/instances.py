"""Seeded planning problems shaped like a region's day, for the benchmark and the tests.

A box of about 100 x 100 km holds the sites (several work orders each) and the engineers' homes.
Travel is great-circle at 40 km/h. Engineers work 8 h shifts starting 07:00-09:00; some take a
30-minute lunch (two available intervals), a few are away half the day. Each engineer has one of
five roles (a role holds two of five skills) and belongs to one of five teams (a team holds access
to about 70 % of the sites), so there are at most 25 distinct eligibility sets. Jobs need one
skill, have a 2-4 h window starting 08:00-14:00, last 30-120 min and have a priority P1-P4; a
fifth of the sites only permit work 09:00-16:00 (a job's `allowed` is its window intersected
with them); about 5 % of the jobs need a skill nobody has.

Times are seconds since `ORIGIN` (00:00 UTC of the planning day).
"""

from __future__ import annotations

import datetime as dt
import random

from .problem import VALUE_OF_PRIORITY, EngineerDay, FixedStop, Interval, Job, Point, Problem
from .travel import GreatCircle

ORIGIN = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
HOUR = 3600
LAT0, LON0, DLAT, DLON = 52.0, 5.0, 0.9, 1.46  # ~100 x 100 km
SKILLS = 5
ROLES = 5
TEAMS = 5
RARE_SKILL = SKILLS  # nobody holds it
PRIORITIES = (("P1", 0.1), ("P2", 0.2), ("P3", 0.4), ("P4", 0.3))
PERMITTED = (9 * HOUR, 16 * HOUR)  # the restricted sites' permitted hours
ENGINEER_ID0 = 1001


def site_count(jobs: int) -> int:
    """40 sites for 200 work orders, 120 for 1,000 (about 5-8 work orders a site)."""
    return max(2, min(jobs // 5, 40 + (jobs - 200) // 10))


def _point(rng: random.Random) -> Point:
    return (round(LAT0 + rng.random() * DLAT, 6), round(LON0 + rng.random() * DLON, 6))


def _intersect(a: Interval, b: Interval) -> Interval | None:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo < hi else None


def site_layout(n_sites: int, seed: int) -> tuple[list[Point], set[int], list[frozenset[int]]]:
    """The sites' places, which sites only permit 09:00-16:00, and each team's sites (by index)."""
    rng = random.Random(f"sites-{seed}")
    sites = [_point(rng) for _ in range(n_sites)]
    restricted = {s for s in range(n_sites) if rng.random() < 0.2}
    team_sites = [frozenset(s for s in range(n_sites) if rng.random() < 0.7) for _ in range(TEAMS)]
    return sites, restricted, team_sites


def generate(jobs: int, engineers: int, seed: int = 1, fixed: int = 0) -> Problem:
    """A seeded problem with `jobs` work orders and `engineers` engineers.

    `fixed` engineers (the first ones) also get one fixed stop mid-morning at a site they may
    work at; those stops are not among the jobs to place.
    """
    rng = random.Random(seed)
    n_sites = site_count(jobs)
    sites, restricted, team_sites = site_layout(n_sites, seed)
    role_skills = [frozenset({r % SKILLS, (r + 1) % SKILLS}) for r in range(ROLES)]

    engs: list[EngineerDay] = []
    profile: dict[int, tuple[int, int]] = {}  # engineer id -> (role, team)
    for k in range(engineers):
        eid = ENGINEER_ID0 + k
        start = 7 * HOUR + rng.randrange(5) * 1800
        end = start + 8 * HOUR
        draw = rng.random()
        available: tuple[Interval, ...]
        if draw < 0.05:  # away the morning
            available = ((start + 4 * HOUR, end),)
        elif draw < 0.10:  # away the afternoon
            available = ((start, start + 4 * HOUR),)
        elif draw < 0.50:  # a 30-minute lunch
            lunch = start + 4 * HOUR + rng.randrange(3) * 1800
            available = ((start, lunch), (lunch + 1800, end))
        else:
            available = ((start, end),)
        engs.append(EngineerDay(id=eid, name=f"Engineer {k + 1}", home=_point(rng), available=available))
        profile[eid] = (rng.randrange(ROLES), rng.randrange(TEAMS))

    def who(skill: int, site: int) -> frozenset[int]:
        return frozenset(
            eid for eid, (role, team) in profile.items() if skill in role_skills[role] and site in team_sites[team]
        )

    out: list[Job] = []
    for j in range(jobs):
        site = rng.randrange(n_sites)
        skill = RARE_SKILL if rng.random() < 0.05 else rng.randrange(SKILLS)
        w0 = 8 * HOUR + rng.randrange(13) * 1800
        window = (w0, w0 + rng.randrange(2, 5) * HOUR)
        duration = rng.randrange(1, 5) * 1800
        allowed: tuple[Interval, ...] = (window,)
        if site in restricted:
            cut = _intersect(window, PERMITTED)
            allowed = (cut,) if cut else ()
        draw, priority = rng.random(), "P4"
        for name, share in PRIORITIES:
            if draw < share:
                priority = name
                break
            draw -= share
        out.append(
            Job(
                id=j + 1,
                site_id=site + 1,
                place=sites[site],
                duration=duration,
                allowed=allowed,
                eligible=who(skill, site),
                value=VALUE_OF_PRIORITY[priority],
                window=window,
                label=f"WO-{j + 1} {priority} skill {skill}",
            )
        )

    stops: list[FixedStop] = []
    for k, eng in enumerate(engs[: min(fixed, engineers)]):
        _, team = profile[eng.id]
        lo, hi = eng.available[0]
        start = lo + 2 * HOUR
        if start + HOUR > hi:
            continue
        candidates = sorted(team_sites[team]) or list(range(n_sites))
        site = candidates[rng.randrange(len(candidates))]
        travel_ok = GreatCircle(40).seconds(eng.home, sites[site]) <= start - lo
        if not travel_ok:
            continue
        stops.append(
            FixedStop(
                job_id=jobs + k + 1,
                engineer_id=eng.id,
                site_id=site + 1,
                place=sites[site],
                start=start,
                finish=start + HOUR,
                label=f"fixed {k + 1}",
            )
        )

    return Problem(origin=ORIGIN, jobs=tuple(out), engineers=tuple(engs), travel=GreatCircle(40), fixed=tuple(stops))


def urgent_job(problem: Problem, seed: int, rng: random.Random, job_id: int) -> Job:
    """A P1 break-fix job at a random site of `problem` (made by `generate(..., seed)`): a 2 h
    window starting 08:00-14:00 (intersected with the site's permitted hours), 30-90 minutes,
    eligible like a normal job at that site."""
    by_site: dict[int, list[Job]] = {}
    for job in problem.jobs:
        if job.eligible:
            by_site.setdefault(job.site_id, []).append(job)
    site_id = rng.choice(sorted(by_site))
    like = rng.choice(by_site[site_id])
    _, restricted, _ = site_layout(site_count(len(problem.jobs)), seed)
    w0 = 8 * HOUR + rng.randrange(13) * 1800
    window = (w0, w0 + 2 * HOUR)
    cut = _intersect(window, PERMITTED) if site_id - 1 in restricted else window
    return Job(
        id=job_id,
        site_id=site_id,
        place=like.place,
        duration=rng.randrange(1, 4) * 1800,
        allowed=(cut,) if cut else (),
        eligible=like.eligible,
        value=VALUE_OF_PRIORITY["P1"],
        window=window,
        label=f"WO-{job_id} P1 break-fix",
    )
