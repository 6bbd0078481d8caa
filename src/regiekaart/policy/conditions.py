"""Conditions on the case: what a card may make a cell, a sub-state or a rule depend on.

A handreiking makes who holds a role, which sub-state a case is in and whether a step may
be taken depend on the household and what is in force: the responsible official follows
the household's members, a frame follows the measures, a step needs no dominance when a
fact is set. A card writes such a condition as a small expression over four things the
case knows, combined with ``all``, ``any`` and ``not`` to any depth:

- ``{members: G}`` or ``{members: [G, …]}``: some member of the household is in one of
  these member groups;
- ``{measures: some}``, ``{measures: none}`` or ``{measures: [M, …]}``: some measure (none
  at all, one of these) is in force;
- ``{fact: F}``: a decision has set fact ``F`` and it has not lapsed;
- ``{dominance: D}``, ``{dominance: [D, …]}``, ``{dominance: some}`` or
  ``{dominance: none}``: the case's dominance is one of these (any, none).

Everything here reads ids only, against a :class:`Situation` the runtime builds from the
case; what a group, measure or fact means is the card's business. The readers of a card
validate the shape with the JSON Schema first, so :func:`read` may assume it.

May import: the foundation and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal, TypeAlias

from attrs import frozen

__all__ = [
    "ANY",
    "NONE",
    "TESTS",
    "AllOf",
    "AnyOf",
    "Condition",
    "Not",
    "Situation",
    "Term",
    "describe",
    "holds",
    "read",
    "references",
]

ANY = "some"
"""The word of a test that holds for any value in force (``measures: some``)."""
NONE = "none"
"""The word of a test that holds when nothing is in force (``dominance: none``)."""

Subject: TypeAlias = Literal["members", "measures", "fact", "dominance"]
TESTS: tuple[Subject, ...] = ("members", "measures", "fact", "dominance")
"""The keys of a test as a card writes it, in the order :func:`describe` names them."""


@frozen
class Situation:
    """What a condition can see of a case: built by the runtime from its state."""

    groups: frozenset[str] = frozenset()
    """The member groups with at least one member in the household."""
    measures: frozenset[str] = frozenset()
    """The measures in force, for any member."""
    facts: frozenset[str] = frozenset()
    """The facts set by decisions that have not lapsed."""
    dominance: str | None = None


@frozen
class Term:
    """One test on the case: ``subject`` is one of ``values``, or the words of ``ANY`` /
    ``NONE`` for measures and dominance."""

    subject: Subject
    values: tuple[str, ...]


@frozen
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]


@frozen
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]


@frozen
class Not:
    """The part does not hold."""

    part: Condition


Condition: TypeAlias = Term | AllOf | AnyOf | Not


def read(written: object) -> Condition:
    """The condition a card writes (already validated by the schema): a mapping with one
    test key or one of ``all``, ``any``, ``not``; several test keys side by side must all
    hold."""
    assert isinstance(written, Mapping)
    parts: list[Condition] = []
    for key, value in written.items():
        if key == "not":
            parts.append(Not(read(value)))
        elif key in ("all", "any"):
            inner = tuple(read(v) for v in value)
            parts.append(AllOf(inner) if key == "all" else AnyOf(inner))
        else:
            values = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
            parts.append(Term(key, values))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def holds(condition: Condition, situation: Situation) -> bool:
    """Whether ``condition`` holds in ``situation``."""
    if isinstance(condition, Term):
        return _test(condition, situation)
    if isinstance(condition, AllOf):
        return all(holds(part, situation) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, situation) for part in condition.parts)
    return not holds(condition.part, situation)


def _test(test: Term, situation: Situation) -> bool:
    if test.subject == "members":
        return not situation.groups.isdisjoint(test.values)
    if test.subject == "fact":
        return all(fact in situation.facts for fact in test.values)
    if test.subject == "measures":
        present: frozenset[str] = situation.measures
    else:
        present = frozenset(() if situation.dominance is None else (situation.dominance,))
    if test.values == (ANY,):
        return bool(present)
    if test.values == (NONE,):
        return not present
    return not present.isdisjoint(test.values)


def references(condition: Condition) -> Iterator[tuple[Subject, str]]:
    """Every id the condition names, with what it names (``members``, ``measures`` …), so
    the semantic checks can refuse a condition on a group or measure the card lacks."""
    if isinstance(condition, Term):
        for value in condition.values:
            if condition.subject in ("members", "fact") or value not in (ANY, NONE):
                yield condition.subject, value
    elif isinstance(condition, Not):
        yield from references(condition.part)
    else:
        for part in condition.parts:
            yield from references(part)


def describe(condition: Condition) -> str:
    """``condition`` in plain words over ids, for refusals and renderings:
    ``all of: a member in g, not (a dominance chosen)``."""
    if isinstance(condition, Term):
        return _said(condition)
    if isinstance(condition, Not):
        return f"not ({describe(condition.part)})"
    head = "all of" if isinstance(condition, AllOf) else "one of"
    return f"{head}: {', '.join(_nested(p) for p in condition.parts)}"


def _nested(condition: Condition) -> str:
    if isinstance(condition, Term | Not):
        return describe(condition)
    return f"({describe(condition)})"


def _said(test: Term) -> str:
    listed = " or ".join(test.values)
    if test.subject == "members":
        return f"a member in {listed}"
    if test.subject == "fact":
        return f"fact {' and '.join(test.values)} set"
    if test.values == (ANY,):
        return "a measure in force" if test.subject == "measures" else "a dominance chosen"
    if test.values == (NONE,):
        return "no measure in force" if test.subject == "measures" else "no dominance chosen"
    return f"a measure in force: {listed}" if test.subject == "measures" else f"dominance {listed}"
