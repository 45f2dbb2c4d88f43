"""Background work of the slos app: burn-rate evaluation and synthetic checks (each idempotent)."""

from __future__ import annotations

from django_tasks import task


@task()
def evaluate_slos() -> int:
    """Evaluate every alerting SLO's burn-rate rules now; how many rules started or stopped firing."""
    from .alerts import evaluate

    result = evaluate()
    return len(result.triggered) + len(result.resolved)


@task()
def run_synthetic_checks() -> int:
    """Run the synthetic checks that are due; how many ran."""
    from .synthetic import run_due_checks

    return len(run_due_checks())
