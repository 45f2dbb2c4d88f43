"""Transition tables. Every stateful object declares a Machine in its app's rules.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import Conflict


class InvalidTransition(Conflict):
    """A transition that the object's machine does not allow from its current state."""

    title = "Invalid transition"


@dataclass(frozen=True)
class Machine:
    """A finite state machine: the states and, for each, the states it may move to."""

    name: str
    states: tuple[str, ...]
    transitions: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, states: Iterable[str], edges: Mapping[str, Iterable[str]]) -> Machine:
        """Build a machine, checking that every edge names known states."""
        states_t = tuple(states)
        known = set(states_t)
        table: dict[str, frozenset[str]] = {}
        for src, dsts in edges.items():
            dset = frozenset(dsts)
            unknown = ({src} | dset) - known
            if unknown:
                raise ValueError(f"{name}: unknown states {sorted(unknown)}")
            table[src] = dset
        return cls(name=name, states=states_t, transitions=table)

    def allowed(self, current: str) -> frozenset[str]:
        """States reachable in one step from `current`."""
        return self.transitions.get(current, frozenset())

    def can(self, current: str, target: str) -> bool:
        """Whether current -> target is a legal step."""
        return target in self.allowed(current)

    def apply(self, current: str, target: str) -> str:
        """Return `target` if the step is legal, else raise InvalidTransition with the reason."""
        if target not in self.states:
            raise InvalidTransition(
                f"'{target}' is not a {self.name} state; states are: {', '.join(self.states)}."
            )
        if not self.can(current, target):
            options = ", ".join(sorted(self.allowed(current))) or "none (final state)"
            raise InvalidTransition(
                f"A {self.name} cannot move from '{current}' to '{target}'. "
                f"From '{current}' it can move to: {options}."
            )
        return target
