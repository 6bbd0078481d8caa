"""Whether a command is well-formed for the card: every id it names is one the card knows.

A command naming an unknown party, phase, criterion, role or dominance is refused as
:class:`~regiekaart.errors.InvalidCommand` before any rule is looked at, so a typing
error is never reported as a rule that forbids the step.
"""

from __future__ import annotations

from regiekaart.errors import InvalidCommand
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Appoint, Command, Deescalate, Escalate, Melding


def check_references(policy: Policy, command: Command, configuration: tuple[str, ...]) -> None:
    """Refuse an ill-formed command: every id it names must be known to the policy."""
    problem = _unknown_parties(policy, command) or _unknown_targets(policy, command)
    if problem:
        raise InvalidCommand(problem, command=command, configuration=configuration)


def _unknown_parties(policy: Policy, command: Command) -> str | None:
    for party in command.parties:
        if party not in policy.parties:
            return f"unknown party {party!r}"
    for criterion in command.criteria:
        if criterion not in policy.criteria:
            return f"unknown criterion {criterion!r}"
    for role, holders in command.holders.items():
        if role not in policy.roles:
            return f"unknown role {role!r}"
        if not holders:
            return f"no holders given for {role}"
        unknown = [p for p in holders if p not in policy.parties]
        if unknown:
            return f"unknown party {unknown[0]!r} as holder of {role}"
    return None


def _unknown_targets(policy: Policy, command: Command) -> str | None:
    if isinstance(command, Escalate | Deescalate) and command.to not in policy.states:
        return f"unknown phase {command.to!r}"
    for field in ("recipient", "adviser"):
        value = getattr(command, field, None)
        if value is not None and value not in policy.parties:
            return f"unknown party {value!r}"
    if isinstance(command, Melding) and command.to is not None and command.to not in policy.parties:
        return f"unknown party {command.to!r}"
    dominance = getattr(command, "dominance", None)
    if dominance is not None and dominance not in policy.dominance:
        return f"unknown dominance {dominance!r} (known: {', '.join(policy.dominance)})"
    if isinstance(command, Appoint) and command.role not in policy.roles:
        return f"unknown role {command.role!r}"
    return None
