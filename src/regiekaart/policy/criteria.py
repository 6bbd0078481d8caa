"""Criteria expressions: which criteria a decider must invoke for a step to be taken.

A rule of the card states its criteria as an expression over criterion ids: ``all`` of
some parts, ``any`` one of them, ``not`` a part, nested to any depth. A handreiking
writes both kinds ("only when all three hold; any one of these suffices"), and a card
that could say only one of them needed a rule per combination.

The runtime asks :func:`shortfall` why a set of invoked criteria does not satisfy an
expression, so the refusal names the unmet part; the semantic checks ask
:func:`satisfiable`; the explorer tries :func:`ways` (a smallest satisfying set per way
of satisfying the expression) and :func:`refusing_sets` (sets just short of one), so
verification covers both the steps and their refusals. Everything here reads ids only:
what a criterion means is the card's business.

May import: the foundation and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

from attrs import frozen

__all__ = [
    "OPERATORS",
    "WAYS_BUDGET",
    "AllOf",
    "AnyOf",
    "Expression",
    "Not",
    "Unsatisfiable",
    "describe",
    "holds",
    "ids",
    "read",
    "refusing_sets",
    "satisfiable",
    "shortfall",
    "ways",
    "written_ids",
]


@frozen
class AllOf:
    """Every part must hold."""

    parts: tuple[Expression, ...]


@frozen
class AnyOf:
    """At least one part must hold."""

    parts: tuple[Expression, ...]


@frozen
class Not:
    """The part must not hold: a criterion that rules the step out."""

    part: Expression


Expression: TypeAlias = str | AllOf | AnyOf | Not
"""A criterion id (it holds when invoked), or a combination of expressions."""


WAYS_BUDGET = 4096
"""How many ways of satisfying an expression :func:`satisfiable` looks at before it gives
up: a card's expressions have a handful; an expression with more is too big to read."""


class Unsatisfiable(ValueError):
    """No way of satisfying the expression was found within :data:`WAYS_BUDGET`."""


OPERATORS = ("all", "any", "not")
"""The keys of a combination as a card writes it; ``optional`` sits beside them."""


def read(written: object) -> tuple[Expression | None, tuple[str, ...]]:
    """The requirement and the optional criteria of a rule's ``criteria:`` as the card
    writes it (validated by the schema): a list is any one of its criteria (an empty one
    requires nothing); a mapping holds at most one of ``all``, ``any``, ``not`` and
    perhaps ``optional``."""
    if written is None:
        return None, ()
    if isinstance(written, list):
        return (AnyOf(tuple(str(c) for c in written)) if written else None), ()
    assert isinstance(written, dict)
    optional = tuple(str(c) for c in written.get("optional") or ())
    operator = next((k for k in OPERATORS if k in written), None)
    if operator is None:
        return None, optional
    return _read({operator: written[operator]}), optional


def _read(written: object) -> Expression:
    if isinstance(written, str):
        return written
    assert isinstance(written, dict)
    assert len(written) == 1
    ((operator, value),) = written.items()
    if operator == "not":
        return Not(_read(value))
    parts = tuple(_read(v) for v in value)
    return AllOf(parts) if operator == "all" else AnyOf(parts)


def written_ids(written: object) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every criterion id of a rule's ``criteria:`` as written, with its path below
    ``criteria``, so a check can point at the line of the id that is wrong."""
    if isinstance(written, list):
        for index, value in enumerate(written):
            yield from _written(value, (index,))
    elif isinstance(written, dict):
        for key, value in written.items():
            yield from _written(value, (str(key),))


def _written(
    value: object, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _written(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _written(item, (*path, str(key)))


def holds(expression: Expression, invoked: frozenset[str]) -> bool:
    """Whether invoking ``invoked`` satisfies ``expression``."""
    if isinstance(expression, str):
        return expression in invoked
    if isinstance(expression, AllOf):
        return all(holds(part, invoked) for part in expression.parts)
    if isinstance(expression, AnyOf):
        return any(holds(part, invoked) for part in expression.parts)
    return not holds(expression.part, invoked)


def ids(expression: Expression) -> tuple[str, ...]:
    """The criterion ids ``expression`` names, each once, in written order."""
    return tuple(dict.fromkeys(_leaves(expression)))


def _leaves(expression: Expression) -> Iterator[str]:
    if isinstance(expression, str):
        yield expression
    elif isinstance(expression, Not):
        yield from _leaves(expression.part)
    else:
        for part in expression.parts:
            yield from _leaves(part)


def describe(expression: Expression) -> str:
    """``expression`` in plain words over ids: ``all of: a, b, (one of: c, d)``."""
    if isinstance(expression, str):
        return expression
    if isinstance(expression, Not):
        return f"not {_nested(expression.part)}"
    head = "all of" if isinstance(expression, AllOf) else "one of"
    return f"{head}: {', '.join(_nested(p) for p in expression.parts)}"


def _nested(expression: Expression) -> str:
    if isinstance(expression, str | Not):
        return describe(expression)
    return f"({describe(expression)})"


def shortfall(expression: Expression, invoked: frozenset[str]) -> str | None:
    """Why ``invoked`` does not satisfy ``expression``, naming the unmet part, or ``None``
    when it does: ``needs all of: a, b, c — missing c``."""
    if holds(expression, invoked):
        return None
    if isinstance(expression, AnyOf):
        return f"needs {describe(expression)} — none of them is met"
    missing, excluded = _unmet(expression, invoked)
    said = []
    if missing:
        said.append(f"missing {', '.join(missing)}")
    if excluded:
        said.append(f"{', '.join(excluded)} rules it out")
    return f"needs {describe(expression)} — {'; '.join(said)}"


def _unmet(expression: Expression, invoked: frozenset[str]) -> tuple[list[str], list[str]]:
    """The parts that fail: those still missing, and the invoked ones a ``not`` forbids."""
    if isinstance(expression, str):
        return [expression], []
    if isinstance(expression, AnyOf):
        return [describe(expression)], []
    if isinstance(expression, Not):
        return [], [c for c in ids(expression.part) if c in invoked] or [describe(expression)]
    missing: list[str] = []
    excluded: list[str] = []
    for part in expression.parts:
        if not holds(part, invoked):
            more, out = _unmet(part, invoked)
            missing.extend(more)
            excluded.extend(out)
    return missing, excluded


@frozen
class _Term:
    """One way of satisfying an expression: criteria to invoke, and ones not to."""

    invoke: frozenset[str]
    avoid: frozenset[str]


def _terms(expression: Expression, positive: bool, budget: list[int]) -> Iterator[_Term]:
    """The ways of satisfying ``expression`` (or, not ``positive``, of failing it), each a
    consistent conjunction of criteria; lazily, charging each to ``budget``."""
    if isinstance(expression, str):
        budget[0] -= 1
        if positive:
            yield _Term(frozenset({expression}), frozenset())
        else:
            yield _Term(frozenset(), frozenset({expression}))
        return
    if isinstance(expression, Not):
        yield from _terms(expression.part, not positive, budget)
        return
    conjunction = isinstance(expression, AllOf) == positive
    if conjunction:
        yield from _product(expression.parts, positive, budget)
    else:
        for part in expression.parts:
            yield from _terms(part, positive, budget)


def _product(parts: tuple[Expression, ...], positive: bool, budget: list[int]) -> Iterator[_Term]:
    if not parts:
        yield _Term(frozenset(), frozenset())
        return
    for first in _terms(parts[0], positive, budget):
        if budget[0] <= 0:
            return
        for rest in _product(parts[1:], positive, budget):
            invoke, avoid = first.invoke | rest.invoke, first.avoid | rest.avoid
            if not invoke & avoid:
                yield _Term(invoke, avoid)
            if budget[0] <= 0:
                return


def satisfiable(expression: Expression) -> bool:
    """Whether some set of criteria satisfies ``expression``; raises :class:`Unsatisfiable`
    when the budget ran out before either was shown."""
    budget = [WAYS_BUDGET]
    for _ in _terms(expression, True, budget):
        return True
    if budget[0] <= 0:
        raise Unsatisfiable(f"more than {WAYS_BUDGET} ways to check")
    return False


def _bounded_terms(expression: Expression, limit: int) -> list[_Term]:
    found: dict[frozenset[str], _Term] = {}
    budget = [WAYS_BUDGET]
    for term in _terms(expression, True, budget):
        found.setdefault(term.invoke, term)
        if len(found) >= limit:
            break
    return list(found.values())


def ways(expression: Expression, limit: int) -> list[tuple[str, ...]]:
    """A smallest satisfying set per way of satisfying ``expression``, at most ``limit``,
    in written order: for ``any`` of ``a`` and (``all`` of ``b``, ``c``), ``(a,)`` and
    ``(b, c)``."""
    order = {c: i for i, c in enumerate(ids(expression))}
    return [
        tuple(sorted(t.invoke, key=order.__getitem__)) for t in _bounded_terms(expression, limit)
    ]


def refusing_sets(expression: Expression, limit: int) -> list[tuple[str, ...]]:
    """Sets of the expression's own criteria that do not satisfy it, at most ``limit``:
    each way with one criterion left out (the last first), and each way with a criterion
    it must avoid added. A refusal of every kind the expression can give."""
    order = {c: i for i, c in enumerate(ids(expression))}
    found: dict[tuple[str, ...], None] = {}
    for term in _bounded_terms(expression, limit):
        chosen = sorted(term.invoke, key=order.__getitem__)
        candidates: list[Iterable[str]] = [
            [c for c in chosen if c != left_out] for left_out in reversed(chosen)
        ]
        candidates += [[*chosen, extra] for extra in sorted(term.avoid, key=order.__getitem__)]
        for candidate in candidates:
            attempt = tuple(sorted(candidate, key=order.__getitem__))
            if not holds(expression, frozenset(attempt)):
                found.setdefault(attempt, None)
        if len(found) >= limit:
            break
    return list(found)[:limit]
