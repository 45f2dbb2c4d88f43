"""Pure approval rules: who must approve a change, who may decide in which capacity, what is missing.

Required by risk level:
- low: one peer (any staff member other than the owner; a change approver counts too);
- medium: one change approver;
- high: two staff approvals by different people, one of them a change approver, plus one client
  approver for each client whose services the change affects;
- an emergency change whose window breaks a window or freeze also needs an emergency approval
  (a change approver or admin). Normal and standard changes with violations cannot be approved.
"""

from __future__ import annotations

from dataclasses import dataclass

PEER, CHANGE_APPROVER, CLIENT, EMERGENCY = "peer", "change_approver", "client", "emergency"
CAPACITIES = (PEER, CHANGE_APPROVER, CLIENT, EMERGENCY)
DECISIONS = ("approved", "rejected")
STAFF_CAPACITIES = frozenset({PEER, CHANGE_APPROVER})


@dataclass(frozen=True)
class Approver:
    """What capacity checks need to know about the person deciding."""

    id: int
    is_client_user: bool
    client_id: int | None
    can_approve: bool  # the 'changes.approve' permission (change approvers, admins)
    can_approve_as_client: bool  # 'changes.approve_as_client'


@dataclass(frozen=True)
class Decision:
    """One recorded decision."""

    approver_id: int
    capacity: str
    decision: str
    client_id: int | None = None  # the approver's client, for client capacity


@dataclass(frozen=True)
class Status:
    """What is required, what is still missing (in words), and whether approval is possible."""

    required: tuple[str, ...]
    missing: tuple[str, ...]
    blocked_by: tuple[str, ...]  # window/freeze violations that no approval can lift
    rejected: bool

    @property
    def complete(self) -> bool:
        """Everything required is present, nothing blocks, nobody rejected."""
        return not self.missing and not self.blocked_by and not self.rejected


def needs_emergency_approval(change_type: str, has_violations: bool) -> bool:
    """An emergency change outside its windows or inside a freeze needs the extra approval."""
    return change_type == "emergency" and has_violations


def required(
    risk_level: str, change_type: str, client_names: dict[int, str], has_violations: bool
) -> list[str]:
    """The approvals a change needs, in words. `client_names`: clients whose services are affected."""
    needed: list[str] = []
    if risk_level == "low":
        needed.append("a peer")
    elif risk_level == "medium":
        needed.append("a change approver")
    else:
        needed += ["a change approver", "a second approver (peer or change approver)"]
        needed += [f"a client approver for {name}" for _, name in sorted(client_names.items(), key=lambda kv: kv[1])]
    if needs_emergency_approval(change_type, has_violations):
        needed.append("an emergency approval (change approver or admin)")
    return needed


def status(
    risk_level: str,
    change_type: str,
    client_names: dict[int, str],
    decisions: list[Decision],
    violations: list[str],
) -> Status:
    """Compare the decisions with what the change requires."""
    approved = [d for d in decisions if d.decision == "approved"]
    staff = {d.approver_id for d in approved if d.capacity in STAFF_CAPACITIES}
    has_ca = any(d.capacity == CHANGE_APPROVER for d in approved)
    missing: list[str] = []
    if risk_level == "low" and not staff:
        missing.append("a peer")
    elif risk_level == "medium" and not has_ca:
        missing.append("a change approver")
    elif risk_level == "high":
        if not has_ca:
            missing.append("a change approver")
        if len(staff) + (0 if has_ca else 1) < 2:
            missing.append("a second approver (peer or change approver)")
        client_ok = {d.client_id for d in approved if d.capacity == CLIENT}
        missing += [
            f"a client approver for {name}"
            for cid, name in sorted(client_names.items(), key=lambda kv: kv[1])
            if cid not in client_ok
        ]
    emergency = needs_emergency_approval(change_type, bool(violations))
    if emergency and not any(d.capacity == EMERGENCY for d in approved):
        missing.append("an emergency approval (change approver or admin)")
    return Status(
        required=tuple(required(risk_level, change_type, client_names, bool(violations))),
        missing=tuple(missing),
        blocked_by=() if change_type == "emergency" else tuple(violations),
        rejected=any(d.decision == "rejected" for d in decisions),
    )


def capacity_problem(
    capacity: str,
    approver: Approver,
    *,
    owner_id: int,
    change_type: str,
    change_client_ids: frozenset[int],
    has_violations: bool,
) -> str | None:
    """Why `approver` may not decide in `capacity` (None when they may)."""
    if approver.id == owner_id:
        return "You own this change; approving (or rejecting) one's own change is refused. Ask someone else."
    if capacity == PEER:
        if approver.is_client_user:
            return "A peer approval comes from a staff member; client users decide in the 'client' capacity."
    elif capacity == CHANGE_APPROVER:
        if not approver.can_approve:
            return "Only a change approver or an administrator may decide as 'change_approver'."
    elif capacity == CLIENT:
        if not (approver.is_client_user and approver.can_approve_as_client):
            return "Only a client user may decide as 'client'."
        if approver.client_id not in change_client_ids:
            return "This change does not affect your organisation."
    elif capacity == EMERGENCY:
        if not approver.can_approve:
            return "Only a change approver or an administrator may give an emergency approval."
        if not needs_emergency_approval(change_type, has_violations):
            return (
                "An emergency approval is only for an emergency change whose window is outside "
                "the allowed windows or inside a freeze."
            )
    else:
        return f"Unknown capacity '{capacity}'; capacities are: {', '.join(CAPACITIES)}."
    return None
