"""A step's criteria in the card's words: the expression as nested parts, and one line.

A policy officer reads "alle drie", "één van", "niet" and "optioneel", never the keys of
the file; the card lists criteria by their text, the line names them by id. Every
renderer lays out the same parts (:class:`~regiekaart.render.model.CriteriaPart`).
"""

from __future__ import annotations

from collections.abc import Callable

from regiekaart.policy.criteria import AllOf, AnyOf, Expression, Not
from regiekaart.render.model import CriteriaPart, CriterionRef

_COUNTED = {2: "beide", 3: "alle drie", 4: "alle vier", 5: "alle vijf", 6: "alle zes"}


def heading(expression: Expression) -> str:
    """How the card says a combination: ``alle drie``, ``één van``, ``niet``."""
    if isinstance(expression, AllOf):
        return _COUNTED.get(len(expression.parts), "alle")
    if isinstance(expression, AnyOf):
        return "één van" if len(expression.parts) > 1 else ""
    if isinstance(expression, Not):
        return "niet"
    return ""


def part(expression: Expression, ref: Callable[[str], CriterionRef]) -> CriteriaPart:
    """``expression`` as a tree of parts whose criteria are the card's references."""
    if isinstance(expression, str):
        return CriteriaPart(kind="criterion", heading="", criterion=ref(expression))
    if isinstance(expression, Not):
        return CriteriaPart(kind="not", heading="niet", parts=(part(expression.part, ref),))
    kind = "all" if isinstance(expression, AllOf) else "any"
    parts = tuple(part(p, ref) for p in expression.parts)
    return CriteriaPart(kind=kind, heading=heading(expression), parts=parts)


def words(expression: Expression | None, optional: tuple[str, ...]) -> str:
    """The criteria on one line by id: ``alle drie: a, b, c; optioneel: d, e``."""
    said = []
    if expression is not None:
        said.append(_line(expression))
    if optional:
        said.append(f"optioneel: {', '.join(optional)}")
    return "; ".join(said)


def _line(expression: Expression) -> str:
    if isinstance(expression, str):
        return expression
    if isinstance(expression, Not):
        return f"niet {_nested(expression.part)}"
    inner = ", ".join(_nested(p) for p in expression.parts)
    said = heading(expression)
    return f"{said}: {inner}" if said else inner


def _nested(expression: Expression) -> str:
    if isinstance(expression, str | Not):
        return _line(expression)
    return f"({_line(expression)})"
