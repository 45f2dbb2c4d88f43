"""Pure decisions about roles: what each role may do."""

from __future__ import annotations

ROLES = (
    "admin",
    "service_desk",
    "dispatcher",
    "engineer",
    "incident_commander",
    "change_approver",
    "client",
)

# Permission codes are "<area>.<action>". Later capabilities add their own codes here.
_ALL = "*"
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({_ALL}),
    "service_desk": frozenset({
        "clients.write", "sites.write", "services.write", "changes.write",
        "workorders.write", "workorders.request", "workorders.comment",
        "alerts.write", "incidents.write", "mail_templates.write",
    }),
    "dispatcher": frozenset({
        "engineers.write", "changes.write",
        "workorders.write", "workorders.dispatch", "workorders.onsite", "workorders.comment",
    }),
    # Engineers: their own on-site actions (check-in/out of work assigned to them) and comments.
    "engineer": frozenset({"changes.write", "workorders.onsite", "workorders.comment"}),
    "incident_commander": frozenset({
        "services.write", "changes.write", "integrations.write", "alerts.write", "incidents.write",
    }),
    "change_approver": frozenset({"changes.write", "changes.approve", "change_windows.write"}),
    # Clients: submit requests, comment (client-visible only), record their own access requests.
    "client": frozenset({"changes.approve_as_client", "workorders.request", "workorders.comment"}),
}

# read: every GET of the API; write: changes; calendar: only the iCalendar feeds (a token
# that lives in a calendar client's subscription URL must not open the rest of the API).
TOKEN_SCOPES = ("read", "write", "calendar", "metrics")


def role_allows(role: str, permission: str) -> bool:
    """Whether `role` grants `permission`."""
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    return _ALL in granted or permission in granted


def validate_scopes(scopes: list[str]) -> list[str]:
    """Known, de-duplicated scopes in canonical order; raises ValueError on unknown ones."""
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(TOKEN_SCOPES)}")
    wanted = set(scopes) | ({"read"} if "write" in scopes else set())  # writing implies reading
    return [s for s in TOKEN_SCOPES if s in wanted]
