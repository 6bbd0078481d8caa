"""The checks of a population scenario against its policy: names, and shares that add up.

Every problem is collected rather than raised at once, so that the analyst can fix a
scenario in one pass; :func:`~regiekaart.simulate.attempts.load_population` raises them
together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema

from regiekaart.errors import PolicyError
from regiekaart.policy.model import Policy
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, nearest_line

SUM_TOLERANCE = 1e-9
"""Shares that must add up to one may miss it by this much (decimal fractions in YAML)."""


def schema_message(error: jsonschema.ValidationError, path: KeyPath) -> str:
    """A schema problem in words, with what is allowed or expected where it is."""
    message = str(error.message)
    if error.validator == "additionalProperties" and isinstance(error.schema, dict):
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"{message} (allowed here: {allowed})"
    if error.validator == "oneOf" and isinstance(error.schema, dict):
        return f"{message} (expected: {error.schema.get('description', 'see the schema')})"
    return message


def read_share(value: Any) -> tuple[float, str]:
    """A share and its source: written as a number, or as ``{share, source}``."""
    if isinstance(value, dict):
        return float(value["share"]), str(value.get("source", ""))
    return float(value), ""


class Checker:
    """Checks every name against the policy and every set of shares, collecting all
    problems so that the analyst can fix them in one pass."""

    def __init__(self, policy: Policy, located: Located, name: str) -> None:
        self.policy = policy
        self.located = located
        self.name = name
        self.problems: list[PolicyError] = []

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            PolicyError(
                message, file=self.name, line=nearest_line(self.located, path), path=dotted(path)
            )
        )

    def party(self, path: KeyPath, value: str) -> None:
        if value.startswith("role:"):
            if value[5:] not in self.policy.roles:
                self.error(
                    path, f"unknown role {value[5:]!r} (roles: {', '.join(self.policy.roles)})"
                )
        elif value not in self.policy.parties:
            self.error(path, f"unknown party {value!r}")

    def state(self, path: KeyPath, value: str) -> bool:
        if value not in self.policy.states:
            self.error(
                path,
                f"unknown phase or sub-state {value!r} (known: {', '.join(self.policy.states)})",
            )
            return False
        return True

    def total(self, path: KeyPath, shares: Sequence[float], exact: bool, what: str) -> None:
        total = sum(shares)
        if total > 1 + SUM_TOLERANCE:
            self.error(path, f"the {what} add up to {total:.6g}, more than 1")
        elif exact and total < 1 - SUM_TOLERANCE:
            self.error(path, f"the {what} add up to {total:.6g}, not 1")

    def names(self, path: KeyPath, kind: str, raw: Mapping[str, Any]) -> None:
        """Measures, member groups, decisions and activities the attempt names."""
        policy = self.policy
        needs = {
            "impose": ("measure", "member"),
            "end": ("measure", "member"),
            "decision": ("decision",),
        }
        for key in needs.get(kind, ()):
            if key not in raw:
                self.error(path, f"a {kind!r} event names its {key!r}")
        if "measure" in raw and raw["measure"] not in policy.measures:
            self.error((*path, "measure"), f"unknown measure {raw['measure']!r}")
        if "member" in raw and raw["member"] not in policy.member_groups:
            self.error((*path, "member"), f"unknown member group {raw['member']!r}")
        if "decision" in raw and raw["decision"] not in policy.decisions:
            self.error((*path, "decision"), f"unknown decision {raw['decision']!r}")
        if "activity" in raw and raw["activity"] not in policy.activities:
            self.error((*path, "activity"), f"unknown activity {raw['activity']!r}")

    def holders(self, path: KeyPath, holders: Mapping[str, Sequence[str]]) -> None:
        for role, parties in holders.items():
            if role not in self.policy.roles:
                self.error((*path, role), f"unknown role {role!r}")
            for index, party in enumerate(parties):
                self.party((*path, role, index), party)
