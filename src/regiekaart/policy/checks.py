"""The vocabulary of obligation checks a card may use, and what each check takes.

A card's ``invariants:`` name check kinds (``role_held``, ``informed_on_entry``, …) with
parameters that are the card's own ids. Whether a card says something meaningful is a
question about the card alone, so the kinds and their parameters are declared here, in
the policy layer; what a kind *means* on a case — its predicate — is bound to it in
:mod:`regiekaart.analysis.invariants`. A host that adds a kind declares it (through
:func:`regiekaart.invariants.register_check`) before loading the cards that use it.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from regiekaart.policy.model import Policy

__all__ = [
    "KINDS",
    "PARTY_KINDS",
    "STEP_KINDS",
    "CheckKind",
    "ParamType",
    "Params",
    "declare_check",
]

Params = Mapping[str, Any]

ParamType = str
"""``state``, ``states``, ``role``, ``party``, ``parties``, ``kinds``, ``fact``, ``kind``,
``count`` (a whole number of holders)."""

PARTY_KINDS: tuple[str, ...] = ("client", "community", "professional", "official", "court")
"""The kinds of party the engine knows (a check's ``kinds`` parameter names some)."""

STEP_KINDS: tuple[str, ...] = ("escalate", "deescalate", "change", "close")
"""The kinds of step a rule can be (a check's ``kind`` parameter names one)."""


@attrs.frozen
class CheckKind:
    """A generic check: its name, the parameters it takes and what it reads."""

    name: str
    params: Mapping[str, ParamType]
    optional: tuple[str, ...] = ()
    doc: str = ""
    reads: Literal["state", "log"] = "log"
    """``"state"``: the check reads only the configuration, the role holders (as sets),
    the measures in force (as a set), the dominance and the facts some rule requires — so
    its verdict is the same in every case of one explored situation, and an exhaustive
    exploration checks it once per situation rather than after every step into it.
    ``"log"`` (the default, and the safe choice) makes no such promise."""

    def validate(self, policy: Policy, params: Params | None) -> list[str]:
        """Problems with ``params`` for this check on ``policy`` (empty: fine)."""
        params = params or {}
        problems = [f"unknown parameter {k!r}" for k in params if k not in self.params]
        for name, kind in self.params.items():
            if name not in params:
                if name not in self.optional:
                    problems.append(f"{self.name} needs parameter {name!r} ({kind})")
                continue
            problems.extend(_validate_param(policy, name, kind, params[name]))
        return problems


def _validate_param(policy: Policy, name: str, kind: str, value: Any) -> list[str]:
    if kind == "count":
        return _validate_count(name, value)
    many = kind in ("states", "parties", "kinds")
    values = value if many else [value]
    if many and not isinstance(value, list):
        return [f"{name} must be a list"]
    known: Mapping[str, Any] | Sequence[str]
    if kind in ("state", "states"):
        known = policy.states
    elif kind == "role":
        known = policy.roles
    elif kind in ("party", "parties"):
        known = policy.parties
    elif kind == "kinds":
        known = PARTY_KINDS
    elif kind == "kind":
        known = STEP_KINDS
    elif kind == "fact":
        known = [d.sets for d in policy.decisions.values() if d.sets]
    else:
        return []
    return [f"{name}: unknown {kind.rstrip('s')} {v!r}" for v in values if v not in known]


def _validate_count(name: str, value: Any) -> list[str]:
    """A number of holders: a whole number, not below zero (``true`` is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return [f"{name} must be a whole number of holders, 0 or more (not {value!r})"]
    return []


KINDS: dict[str, CheckKind] = {}
"""Every check kind a card may name, by name: the built-in ones below and any a host
declared."""


def declare_check(kind: CheckKind) -> CheckKind:
    """Make ``kind`` usable in any card's ``invariants:`` (a later one of the same name
    replaces it)."""
    KINDS[kind.name] = kind
    return kind


for _kind in (
    CheckKind(
        "role_held",
        {"role": "role", "in": "states"},
        doc="In the given states the role always has a holder.",
        reads="state",
    ),
    CheckKind(
        "holder_kind",
        {"role": "role", "kinds": "kinds", "in": "states"},
        doc="In the given states every holder of the role is of one of the kinds.",
        reads="state",
    ),
    CheckKind(
        "holders_include",
        {"role": "role", "parties": "parties", "in": "states"},
        doc="In the given states the role is held by (at least) all the parties named.",
        reads="state",
    ),
    CheckKind(
        "regions_active",
        {"state": "state"},
        doc="When the parallel state is active, so are all its regions.",
        reads="state",
    ),
    CheckKind(
        "warm_handover",
        {"role": "role", "in": "states"},
        doc="The role is never let go before another holds it: no moment without a holder.",
    ),
    CheckKind(
        "informed_on_entry",
        {"state": "state", "role": "role", "holders": "parties", "inform": "parties"},
        doc="Entering the state under regie of one of the holders, the parties are informed.",
    ),
    CheckKind(
        "deciders_respected",
        {},
        doc="Every accepted transition was made by its deciders.",
    ),
    CheckKind(
        "no_step",
        {"kind": "kind", "from": "state"},
        doc="The card has no step of this kind from this state, and none was ever taken.",
    ),
    CheckKind(
        "exit_requires",
        {"state": "state", "fact": "fact"},
        doc="The state is left only after a decision set the fact while in it.",
    ),
    CheckKind(
        "mutual_informed",
        {"role": "role"},
        doc="Where the role has several holders, each is recorded as informed of the others.",
    ),
    CheckKind(
        "roles_declared",
        {},
        doc="Every role held is a role of the active configuration: no more professionals "
        "than needed.",
        reads="state",
    ),
    CheckKind(
        "holders_between",
        {"role": "role", "min": "count", "max": "count", "in": "states"},
        optional=("max",),
        doc="In the given states the role has at least min and (if given) at most max "
        "holders: two or three casusregisseurs in the regiegroep.",
        reads="state",
    ),
    CheckKind(
        "chaired_by",
        {"role": "role", "chair": "role", "in": "states"},
        doc="In the given states, whenever two or more parties hold the role, the chairing "
        "role is held too.",
        reads="state",
    ),
    CheckKind(
        "holder_bounds",
        {},
        doc="Every role held has as many holders as the card allows in the active states, "
        "and every group of holders the card gives a chair has one.",
        reads="state",
    ),
    CheckKind(
        "path_to",
        {"state": "state"},
        doc="From the current situation some sequence of allowed commands reaches the state.",
    ),
):
    declare_check(_kind)
del _kind
