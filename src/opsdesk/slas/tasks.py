"""Background work of the slas app: the SLA watch, recomputes, burn-rate evaluation and synthetic
checks (each idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def watch_clocks() -> dict[str, int]:
    """Refresh the SLA clocks time has changed; send at-risk notices and breach escalations once."""
    from .notices import watch

    return watch()


@task()
def recompute_open(kind: str) -> int:
    """Recompute the stored clocks of every open object of a kind (a policy changed)."""
    from .recompute import recompute_open as run

    return run(kind)


@task()
def evaluate_slos() -> int:
    """Evaluate every alerting SLO's burn-rate rules now; how many rules started or stopped firing."""
    from .slo_alerts import evaluate

    result = evaluate()
    return len(result.triggered) + len(result.resolved)


@task()
def run_synthetic_checks() -> int:
    """Run the synthetic checks that are due; how many ran."""
    from .synthetic import run_due_checks

    return len(run_due_checks())
