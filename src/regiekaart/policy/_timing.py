"""Time on the card: how long a measure or a state may last, and how soon a duty is due.

A measure's ``duration:`` gives its longest term and, when the law allows, how it may
be extended (by how much at a time, up to how long in all, by whom); a state's gives
the longest a case should stay in it and the rule the card expects to be taken then; an
obligation's ``deadline:`` how soon after it arises its informing must be done. The
texts are read by :mod:`regiekaart.policy.durations`; every one that does not read is
reported at its key before the model is built, and what the schema cannot say (an
extension shorter than the term it extends, a rule of another state) after.

May import: the foundation and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from attrs import frozen

from regiekaart.errors import PolicyError
from regiekaart.policy.durations import Duration, compare, parse_duration
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, nearest

if TYPE_CHECKING:
    from regiekaart.policy.model import Policy

__all__ = [
    "Extension",
    "TimeLimit",
    "check",
    "deadline",
    "time_limit",
    "timed_keys",
    "timing_problems",
]


@frozen
class Extension:
    """How a measure's term may be extended while it is in force."""

    by: Duration | None = None
    """The most one extension adds (``None``: as much as ``up_to`` leaves)."""
    up_to: Duration | None = None
    """The longest the measure may last in all, counted from its imposition
    (``None``: extended as often as it is decided)."""
    by_parties: tuple[str, ...] = ()
    """Who may extend it (empty: whoever may impose it)."""
    source: str = ""


@frozen
class TimeLimit:
    """The longest a measure or a state lasts, and what follows when it has."""

    max: Duration
    extend: Extension | None = None
    """For a measure: how its term may be extended (``None``: it cannot be)."""
    on_expiry: str | None = None
    """For a state: the rule the card expects to be taken when the time is up."""
    source: str = ""
    description: str = ""


def time_limit(raw: Any) -> TimeLimit | None:
    """The ``duration:`` of a measure or a state, from a checked document."""
    if not isinstance(raw, Mapping):
        return None
    extend = raw.get("extend")
    return TimeLimit(
        max=parse_duration(raw["max"]),
        extend=None if extend is None else _extension(extend),
        on_expiry=raw.get("on_expiry"),
        source=str(raw.get("source", "")),
        description=str(raw.get("description", "")).strip(),
    )


def _extension(raw: Mapping[str, Any]) -> Extension:
    by, up_to = raw.get("by"), raw.get("up_to")
    return Extension(
        by=None if by is None else parse_duration(by),
        up_to=None if up_to is None else parse_duration(up_to),
        by_parties=tuple(str(p) for p in raw.get("by_parties") or ()),
        source=str(raw.get("source", "")),
    )


def deadline(raw: Any) -> Duration | None:
    """An obligation's ``deadline:``, from a checked document."""
    return None if raw is None else parse_duration(raw)


# -- where a document writes time --------------------------------------------------------------


def _states(document: Mapping[str, Any]) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    """Every phase and sub-state of a document, at any depth, with its key path."""
    phases = document.get("phases")
    pending: list[tuple[KeyPath, Any]] = [(("phases", key), raw) for key, raw in _items(phases)]
    while pending:
        path, raw = pending.pop(0)
        if not isinstance(raw, Mapping):
            continue
        yield path, raw
        states = (
            raw.get("substates", {}).get("states")
            if isinstance(raw.get("substates"), Mapping)
            else None
        )
        pending.extend(
            ((*path, "substates", "states", key), child) for key, child in _items(states)
        )


def _items(value: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []


def timed_keys(document: Mapping[str, Any]) -> Iterator[KeyPath]:
    """Every ``duration:`` and ``deadline:`` a document writes."""
    measures = document.get("measures")
    options = measures.get("options") if isinstance(measures, Mapping) else None
    for key, raw in _items(options):
        if isinstance(raw, Mapping) and raw.get("duration") is not None:
            yield ("measures", "options", key, "duration")
    for path, raw in _states(document):
        if raw.get("duration") is not None:
            yield (*path, "duration")
    for key, raw in _items(document.get("obligations")):
        if isinstance(raw, Mapping) and raw.get("deadline") is not None:
            yield ("obligations", key, "deadline")


def _texts(document: Mapping[str, Any]) -> Iterator[tuple[KeyPath, Any]]:
    """Every duration text of a document, with its key path."""
    for path in timed_keys(document):
        raw: Any = document
        for part in path:
            raw = raw[part]
        if path[-1] == "deadline":
            yield path, raw
            continue
        if not isinstance(raw, Mapping):
            continue
        if "max" in raw:
            yield (*path, "max"), raw["max"]
        extend = raw.get("extend")
        for key in ("by", "up_to"):
            if isinstance(extend, Mapping) and extend.get(key) is not None:
                yield (*path, "extend", key), extend[key]


def timing_problems(document: Mapping[str, Any], located: Located) -> list[PolicyError]:
    """Every duration in ``document`` that does not read, at its file, line and key."""
    out = []
    for path, text in _texts(document):
        try:
            parse_duration(text)
        except ValueError as exc:
            file, line = nearest(located, path) or (None, None)
            out.append(PolicyError(str(exc), file=file, line=line, path=dotted(path)))
    return out


# -- what the schema cannot say ----------------------------------------------------------------

Add = Callable[[KeyPath, str], None]


def check(policy: Policy, add: Add) -> None:
    """Report through ``add`` every time limit that contradicts itself or the card."""
    for measure in policy.measures.values():
        limit = measure.duration
        if limit is not None and limit.extend is not None:
            _check_extension(policy, add, ("measures", "options", measure.id, "duration"), limit)
    for state in policy.states.values():
        limit = state.duration
        if limit is not None and limit.on_expiry is not None:
            _check_on_expiry(policy, add, _state_path(state.id), state.id, limit.on_expiry)
    for duty in policy.obligations.values():
        if duty.deadline is not None and duty.mode == "record":
            add(
                ("obligations", duty.id, "deadline"),
                "a duty recorded as done when it arises (mode: record) has no deadline",
            )


def _check_extension(policy: Policy, add: Add, path: KeyPath, limit: TimeLimit) -> None:
    extend = limit.extend
    assert extend is not None
    if extend.by is None and extend.up_to is None:
        add((*path, "extend"), "say how far it may be extended: by, up_to, or both")
    if extend.up_to is not None:
        order = compare(limit.max, extend.up_to)
        if order is None:
            add(
                (*path, "extend", "up_to"),
                f"whether up_to {extend.up_to} is longer than max {limit.max} depends on the "
                "date; write both in days and weeks, or both in months and years",
            )
        elif order != "shorter":
            add(
                (*path, "extend", "up_to"),
                f"up_to {extend.up_to} must be longer than max {limit.max}, which it extends",
            )
    for index, party in enumerate(extend.by_parties):
        if party not in policy.parties:
            add((*path, "extend", "by_parties", index), f"unknown party {party!r}")


def _check_on_expiry(policy: Policy, add: Add, path: KeyPath, state_id: str, rule_id: str) -> None:
    rule = policy.transitions.get(rule_id)
    if rule is None:
        known = ", ".join(policy.transitions) or "none"
        add((*path, "duration", "on_expiry"), f"unknown rule {rule_id!r} (known: {known})")
        return
    source = rule.source_state
    related = {s.id for s in policy.ancestors(state_id)}
    if source not in related and state_id not in {s.id for s in policy.ancestors(source)}:
        add(
            (*path, "duration", "on_expiry"),
            f"rule {rule_id} is taken from {source}, not from {state_id} or a state "
            "around or within it",
        )


def _state_path(state_id: str) -> KeyPath:
    parts = state_id.split(".")
    path: KeyPath = ("phases", parts[0])
    for part in parts[1:]:
        path = (*path, "substates", "states", part)
    return path
