"""Reads the alert and integration pages need beyond alerts.queries: filters, form choices, and the
key shown once (kept in the session between the POST that made it and the page that shows it)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.accounts import queries as account_queries
from opsdesk.services import queries as service_queries
from opsdesk.sites import queries as site_queries
from opsdesk.tenancy import queries as client_queries

from . import queries
from .models import Alert, Integration

FLAGS = {"yes": True, "no": False}
SHOWN_KEY = "alerts:shown-key:{}"


def flag(value: str | None) -> bool | None:
    """'yes' / 'no' from a filter select, else no filter."""
    return FLAGS.get((value or "").strip().lower())


def list_alerts(user: Any, filters: dict[str, Any]) -> QuerySet[Alert]:
    """Alerts the user may see, filtered, most recently seen first."""
    return queries.list_alerts(
        user, status=filters.get("status"), integration=filters.get("integration"), service=filters.get("service"),
        client=filters.get("client"), incident=filters.get("incident"), flapping=flag(filters.get("flapping")),
        in_maintenance=flag(filters.get("maintenance")),
    )


def filter_options(user: Any) -> dict[str, Any]:
    """What the alert list's filter selects offer."""
    return {
        "statuses": Alert.Status.choices,
        "integrations": queries.list_integrations(user),
        "services": service_queries.list_services(user),
        "yes_no": [("yes", "Yes"), ("no", "No")],
    }


def list_integrations(user: Any, filters: dict[str, Any]) -> QuerySet[Integration]:
    """Integrations the user may see, by name."""
    return queries.list_integrations(user, client=filters.get("client"), kind=filters.get("kind"))


def form_choices(user: Any) -> dict[str, Any]:
    """What the integration form offers: clients, services, sites and staff owners."""
    return {
        "clients": client_queries.list_clients(user),
        "services": service_queries.list_services(user),
        "sites": site_queries.list_sites(user),
        "staff": account_queries.list_users(user).exclude(role="client").filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        ),
    }


def keep_key(session: Any, integration_id: int, raw: str) -> None:
    """Hold a fresh key for the one page that shows it."""
    session[SHOWN_KEY.format(integration_id)] = raw


def take_key(session: Any, integration_id: int) -> str | None:
    """The fresh key, once: it is gone from the session after this."""
    value = session.pop(SHOWN_KEY.format(integration_id), None)
    return value if isinstance(value, str) else None
