"""The public face for hosts that add obligations of their own.

A host builds :class:`Invariant` objects from the registered check kinds, or adds a
kind with :func:`register_check` (before loading the cards that use it), and checks
them on a case with :func:`violations`. The machinery lives in
:mod:`regiekaart.analysis.invariants` and the vocabulary a card may use in
:mod:`regiekaart.policy.checks`; this module only names what a host needs.
"""

from regiekaart.analysis.invariants import (
    CHECKS,
    CaseView,
    CheckKind,
    Invariant,
    Predicate,
    Violation,
    invariants_for,
    register_check,
    role_history,
    violations,
)
from regiekaart.policy.checks import Params

__all__ = [
    "CHECKS",
    "CaseView",
    "CheckKind",
    "Invariant",
    "Params",
    "Predicate",
    "Violation",
    "invariants_for",
    "register_check",
    "role_history",
    "violations",
]
