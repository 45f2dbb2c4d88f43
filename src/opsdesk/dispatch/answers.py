"""A plan as the API, the CLI and the board show it: routes of stops with ISO 8601 times."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Plan, PlanStop
from .queries import stops_of


def _minutes(seconds: int) -> int:
    return round(seconds / 60)


def plan_answer(plan: Plan, stops: Iterable[PlanStop] | None = None) -> dict[str, Any]:
    """`{"id", "region", "day", "state", "routes": [{"engineer", "stops": [...]}], "unassigned", "checker", ...}`."""
    rows = list(stops) if stops is not None else (getattr(plan, "preview_stops", None) or stops_of(plan))
    by_engineer: dict[int, list[PlanStop]] = {}
    for row in rows:
        by_engineer.setdefault(row.engineer_id, []).append(row)
    routes = []
    for meta in plan.engineers:
        mine = sorted(by_engineer.get(meta["engineer"], []), key=lambda r: r.position)
        travel = sum(r.travel_seconds for r in mine) + meta.get("return_travel_seconds", 0)
        routes.append({
            "engineer": meta["engineer"], "name": meta["name"],
            "departure": meta.get("departure") if mine else None, "back": meta.get("back") if mine else None,
            "available": meta.get("available", []),
            "travel_minutes": _minutes(travel) if mine else 0,
            "return_travel_minutes": _minutes(meta.get("return_travel_seconds", 0)) if mine else 0,
            "stops": [
                {
                    "work_order": r.work_order_id, "arrival": r.arrival_at.isoformat(), "start": r.start_at.isoformat(),
                    "finish": r.finish_at.isoformat(), "travel_minutes": _minutes(r.travel_seconds), "fixed": r.fixed,
                }
                for r in mine
            ],
        })
    return {
        "id": plan.pk, "region": plan.region.code, "day": plan.day.isoformat(), "state": plan.state,
        "based_on": plan.based_on_id, "solver": plan.solver, "solve_seconds": plan.solve_seconds,
        "travel_minutes": plan.travel_minutes,
        "routes": routes,
        "unassigned": list(plan.unassigned),
        "checker": {"ok": not plan.violations, "violations": list(plan.violations)},
        "moved": list(plan.moved),
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "accepted_at": plan.accepted_at.isoformat() if plan.accepted_at else None,
    }
