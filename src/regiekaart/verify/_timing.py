"""How two cards differ in their time limits: a measure's term, a state's longest stay,
a duty's deadline.

A term that is shortened makes measures due sooner; one that is removed makes them last
until ended. Each limit is compared as plain data with its lengths in ISO 8601, so
``3d`` and ``72h`` are the same term, written otherwise.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``, ``analysis``,
``runtime``, ``policy`` and the foundation; never ``simulate`` or ``cli``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from regiekaart.policy.model import Policy, TimeLimit


def time_changes(old: Policy, new: Policy) -> Iterator[tuple[str, Any, Any]]:
    """``(where, before, after)`` for each measure, state or obligation of both cards
    whose time limit differs (``None``: it has none)."""
    parts: tuple[tuple[str, Callable[[Any], Any]], ...] = (
        ("measures", lambda m: _limit(m.duration)),
        ("states", lambda s: _limit(s.duration)),
        ("obligations", lambda o: None if o.deadline is None else o.deadline.iso()),
    )
    for part, view in parts:
        before: Mapping[str, Any] = getattr(old, part)
        after: Mapping[str, Any] = getattr(new, part)
        for key in before:
            if key in after and view(before[key]) != view(after[key]):
                yield f"{part}.{key}", view(before[key]), view(after[key])


def _limit(limit: TimeLimit | None) -> dict[str, Any] | None:
    if limit is None:
        return None
    out: dict[str, Any] = {"max": limit.max.iso()}
    extend = limit.extend
    if extend is not None:
        out["extend"] = {
            "by": None if extend.by is None else extend.by.iso(),
            "up_to": None if extend.up_to is None else extend.up_to.iso(),
            "by_parties": list(extend.by_parties),
        }
    if limit.on_expiry:
        out["on_expiry"] = limit.on_expiry
    return out
