"""What the explorer tries of one rule in every situation: read from the card alone.

The criteria that meet a rule, the criteria just short of it and the dominance options
to name depend on the rule and the scope, not on the situation, so
:func:`plan` works them out once per card and
:func:`~regiekaart.analysis.enumeration.transition_commands` reads them in each situation
it is asked about.

May import: ``regiekaart.policy``, this package and the foundation.
"""

from __future__ import annotations

from regiekaart.analysis.situations import dominance_representatives
from regiekaart.policy.criteria import AllOf, AnyOf, Expression, holds, refusing_sets, ways
from regiekaart.policy.model import Policy, TransitionRule

__all__ = ["WAYS_LIMIT", "Plan", "plan"]

Plan = tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[str | None]]
"""The criteria that meet a rule (:func:`criteria_sets`), those that fall short of it
(:func:`short_sets`), and the dominance options to name (:func:`dominances`)."""


WAYS_LIMIT = 16
"""At most this many ways of meeting one rule's criteria, and as many sets just short of
them, are tried: a card's expressions have a few; a wider one is sampled in order."""


def plan(policy: Policy, rule: TransitionRule, each: bool, every_dominance: bool) -> Plan:
    """The :data:`Plan` of ``rule``; ``each``: every criterion of an ``any`` is a way of
    its own; ``every_dominance``: name every dominance option, not one per class.

    Kept for the card's own rules, by the rule object (held by the entry, so its id is
    not reused): a rule changed with ``attrs.evolve`` keeps its id but is another rule."""
    table = policy.memo("enumeration.plan")
    key = (id(rule), each, every_dominance)
    known: tuple[TransitionRule, Plan] | None = table.get(key)
    if known is not None and known[0] is rule:
        return known[1]
    found = (
        criteria_sets(rule, each),
        short_sets(rule, each),
        dominances(policy, rule, every_dominance),
    )
    if rule is policy.transitions.get(rule.id):
        table[key] = (rule, found)
    return found


def criteria_sets(rule: TransitionRule, each: bool) -> list[tuple[str, ...]]:
    """The criteria to name when trying ``rule``, one tuple per attempt, each meeting the
    rule: a smallest set per way of meeting it, then (if the rule has optional criteria)
    the first with every optional one added, which is recorded and must not block.

    Unless ``each``, the criteria of one ``any`` over plain criteria count as one way
    (any of them does what the first does)."""
    requirement = rule.requirement
    found: list[tuple[str, ...]]
    if requirement is None:
        found = [()]
    else:
        tried = requirement if each else one_per_alternative(requirement)
        found = [
            way for way in ways(tried, WAYS_LIMIT) if holds(requirement, frozenset(way))
        ] or ways(requirement, 1)
    if rule.optional_criteria:
        found.append(tuple(dict.fromkeys((*found[0], *rule.optional_criteria))))
    return found


def short_sets(rule: TransitionRule, each: bool) -> list[tuple[str, ...]]:
    """Sets of the rule's own criteria that fall short of it, so each kind of refusal it
    can give is tried: none where it requires nothing."""
    if rule.requirement is None:
        return []
    tried = rule.requirement if each else one_per_alternative(rule.requirement)
    return [
        short
        for short in refusing_sets(tried, WAYS_LIMIT)
        if not holds(rule.requirement, frozenset(short))
    ]


def one_per_alternative(expression: Expression) -> Expression:
    """``expression`` with the plain criteria of every ``any`` cut to its first: the
    explorer's view, where criteria of one list are alternatives of equal standing (a
    combination among them stays a way of its own). Nothing under a ``not`` is cut,
    since there each criterion counts."""
    if isinstance(expression, AnyOf):
        plain = [p for p in expression.parts if isinstance(p, str)]
        combined = [one_per_alternative(p) for p in expression.parts if not isinstance(p, str)]
        parts = (*plain[:1], *combined)
        return parts[0] if len(parts) == 1 else AnyOf(parts)
    if isinstance(expression, AllOf):
        return AllOf(tuple(one_per_alternative(p) for p in expression.parts))
    return expression


def dominances(policy: Policy, rule: TransitionRule, every: bool) -> list[str | None]:
    """The dominance options to try when ``rule`` enters a state where dominance
    applies, then naming none; just ``[None]`` where it does not apply."""
    if rule.target_state is None or not any(
        s.id in policy.dominance_in for s in policy.ancestors(rule.target_state)
    ):
        return [None]
    named = tuple(policy.dominance) if every else dominance_representatives(policy)
    return [*named, None]
