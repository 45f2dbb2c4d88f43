"""Why a job was left out of a plan, in words a dispatcher can act on (shared by every solver)."""

from __future__ import annotations

from .problem import Job, Problem
from .timing import earliest_start

NO_ELIGIBLE = "no eligible engineer"
NO_HOURS = "the window lies outside the site's permitted hours"
NO_SHIFT = "no eligible engineer is on shift for long enough in the window"
NO_CAPACITY = "no capacity in the window: every eligible engineer on shift is fully booked or too far away"


def reason_unassigned(problem: Problem, job: Job) -> str:
    """The first of: nobody eligible, no permitted hours in the window, nobody eligible on shift, no capacity."""
    if not job.eligible:
        return NO_ELIGIBLE
    if not job.allowed:
        return NO_HOURS
    on_shift = [
        e for e in job.eligible
        if e in problem.engineer_by_id and earliest_start(job.allowed[0][0], job.duration, job.allowed, problem.engineer_by_id[e].available) is not None
    ]
    if not on_shift:
        return NO_SHIFT
    return NO_CAPACITY


def reasons_for(problem: Problem, job_ids: set[int]) -> dict[int, str]:
    """`reason_unassigned` for each id, by id."""
    return {j: reason_unassigned(problem, problem.job_by_id[j]) for j in sorted(job_ids)}
