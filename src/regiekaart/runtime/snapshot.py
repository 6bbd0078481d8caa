"""A case at rest: one value, parsed and checked in one place.

A :class:`Snapshot` is what :meth:`~regiekaart.runtime.case.Case.snapshot` gives and
:meth:`~regiekaart.runtime.case.Case.restore` takes, what the store writes (without the log,
which lives in its event table) and what the CLI shows. Whatever a snapshot came
through — a host's own JSON file, a database row, a message queue — it is read back by
:meth:`Snapshot.from_json` only, so a snapshot of the wrong shape is always the same
:class:`~regiekaart.errors.SnapshotMismatch` naming the path that is wrong, never a
``KeyError`` from deep inside the runtime.

The shape is not all: :func:`problems` says what a well-formed snapshot claims that no
case under the card could be in (two phases at once, an ineligible holder, a required
role nobody holds, a log that does not end where the state is). A forged snapshot that
passes both is still caught where its log is whole, because
:meth:`~regiekaart.runtime.case.Case.restore` replays the log and refuses a state the events do
not produce; and the store ties each snapshot to its hash chain with
:func:`state_digest`.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import attrs
import cattrs
from attrs import frozen

from regiekaart.errors import InvalidIdentifier, SnapshotMismatch
from regiekaart.ids import check_id
from regiekaart.policy.cardinality import breaches
from regiekaart.policy.model import Policy, RoleCell
from regiekaart.runtime.deadlines import time_problems
from regiekaart.runtime.records import CaseState, Event, converter

__all__ = [
    "MAX_SEQ",
    "SNAPSHOT_FORMAT",
    "PolicyRef",
    "Snapshot",
    "canonical_json",
    "configuration_problems",
    "differences",
    "fit_problems",
    "problems",
    "state_digest",
]


SNAPSHOT_FORMAT = 1
"""The version of the snapshot's JSON shape; a snapshot of another format is refused."""

MAX_SEQ = 2**31 - 1
"""The highest version a case may reach: both store backends hold it as a 32-bit integer."""


@frozen
class PolicyRef:
    """Which card a snapshot was taken under: its id, version and content digest."""

    id: str
    version: str
    digest: str


@frozen
class Snapshot:
    """A case between two commands: its state and the events that led there.

    ``log`` holds the events ``log_from`` … ``state.seq`` in order; a snapshot with its
    whole log (``log_from == 1``) can be replayed and is checked by replaying it. A
    store that keeps the log elsewhere restores with an empty log starting after the
    state (``log_from == state.seq + 1``), having checked the state against its chain.
    """

    case: str
    policy: PolicyRef
    state: CaseState
    log: tuple[Event, ...] = ()
    log_from: int = 1
    format: int = SNAPSHOT_FORMAT

    @property
    def whole(self) -> bool:
        """Whether the log runs from the case's first event."""
        return self.log_from == 1

    def without_log(self) -> Snapshot:
        """The snapshot as a store writes it, its log in the event table instead."""
        return attrs.evolve(self, log=(), log_from=self.state.seq + 1)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able data; :meth:`from_json` gives back an equal snapshot."""
        data: dict[str, Any] = converter.unstructure(self)
        if self.log_from == 1:
            del data["log_from"]
        return data

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """The snapshot ``data`` describes, or :class:`SnapshotMismatch` saying what is
        wrong with its shape (and where)."""
        if isinstance(data, Snapshot):
            return data
        if not isinstance(data, Mapping):
            raise SnapshotMismatch(
                f"the snapshot is malformed: expected an object, found {type(data).__name__}"
            )
        found = data.get("format")
        if type(found) is not int or found != SNAPSHOT_FORMAT:
            raise SnapshotMismatch(
                f"unknown snapshot format {_short(found)} "
                f"(this regiekaart reads format {SNAPSHOT_FORMAT})"
            )
        try:
            value = converter.structure(data, cls)
            given = dict(data)
            if given.get("log_from") == 1 and type(given["log_from"]) is int:
                del given["log_from"]  # the default, which to_json leaves out
            same = canonical_json(value.to_json()) == canonical_json(given)
        except cattrs.BaseValidationError as exc:
            detail = "; ".join(cattrs.transform_error(exc, path="snapshot"))
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
            detail = f"{type(exc).__name__}: {exc}"
        except RecursionError:
            detail = "nested too deeply"
        else:
            if same:
                return value
            # cattrs turns "2" into 2 and a party id into its letters: a snapshot is
            # taken only as the value it would be written as.
            detail = "a value is not of its type (it would not be written back as it is)"
        raise SnapshotMismatch(f"the snapshot is malformed: {detail}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def canonical_json(value: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept as is.

    Both store backends hash the same text whether they hold JSON as TEXT or JSONB.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_digest(state: CaseState) -> str:
    """The sha256 of a state's canonical JSON: what the audit chain says a case is in."""
    text = canonical_json(converter.unstructure(state))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- what a well-formed snapshot may still get wrong ------------------------------------------


def problems(policy: Policy, snapshot: Snapshot) -> list[str]:
    """Everything in ``snapshot`` no case under ``policy`` could be in; empty when none.

    Each problem is one phrase naming the offending value, so a host (and an auditor)
    sees all of them at once.
    """
    state = snapshot.state
    identity = _identity_problems(snapshot)
    if identity:
        return identity
    found = _log_problems(snapshot)
    unknown = fit_problems(policy, state)
    if unknown:
        return found + unknown  # the rest would only repeat what no longer exists
    found += configuration_problems(policy, state.configuration)
    found += _member_problems(policy, state)
    found += time_problems(state)
    if not found:
        found += _role_problems(policy, state)
    return found


def _identity_problems(snapshot: Snapshot) -> list[str]:
    try:
        check_id("case", snapshot.case)
    except InvalidIdentifier as exc:
        return [str(exc)]
    seq = snapshot.state.seq
    if not 1 <= seq <= MAX_SEQ:
        return [f"version {seq} is outside 1..{MAX_SEQ}"]
    return []


def _log_problems(snapshot: Snapshot) -> list[str]:
    state, log = snapshot.state, snapshot.log
    seq = state.seq
    if not 1 <= snapshot.log_from <= seq + 1:
        return [f"the log starts at event {snapshot.log_from}, outside 1..{seq + 1}"]
    # Compared without building the list of every expected number: a version near
    # MAX_SEQ would need gigabytes for it.
    numbered = len(log) == seq - snapshot.log_from + 1 and all(
        event.seq == snapshot.log_from + index for index, event in enumerate(log)
    )
    if not numbered:
        if not log:
            return [f"the log is empty but the case is at version {seq}"]
        needs = f"{snapshot.log_from}..{seq}" if seq > snapshot.log_from else str(seq)
        return [
            f"the log holds events {_runs([e.seq for e in log[:7]], len(log))}, "
            f"the case at version {seq} needs {needs}"
        ]
    out = []
    if log and tuple(log[-1].after) != tuple(state.configuration):
        out.append(
            f"the last event ends in {', '.join(log[-1].after) or 'nothing'}, "
            f"the state says {', '.join(state.configuration)}"
        )
    times = [event.at for event in log]
    if any(t.tzinfo is None for t in times):
        out.append("an event's time has no time zone")
    elif any(later < earlier for earlier, later in pairwise(times)):
        out.append("the events' times go backwards")
    return out


def _runs(first: list[int], count: int) -> str:
    """The first few of ``count`` event numbers, as a person reads them."""
    shown = ", ".join(str(s) for s in first[:6])
    return shown + (", ..." if count > 6 else "")


def fit_problems(policy: Policy, state: CaseState) -> list[str]:
    """What in ``state`` the policy no longer knows (states, roles, parties, measures)."""
    out = [f"state {s!r} no longer exists" for s in state.configuration if s not in policy.states]
    for role, holders in state.roles.items():
        if role not in policy.roles:
            out.append(f"role {role!r} no longer exists")
        out += [
            f"party {party!r} (holder of {role}) no longer exists"
            for party in holders
            if party not in policy.parties
        ]
    out += [
        f"measure {m.measure!r} no longer exists"
        for m in state.facts.measures
        if m.measure not in policy.measures
    ]
    if state.facts.dominance is not None and state.facts.dominance not in policy.dominance:
        out.append(f"dominance {state.facts.dominance!r} no longer exists")
    return out


def configuration_problems(policy: Policy, configuration: tuple[str, ...]) -> list[str]:
    """Whether ``configuration`` is one the card's chart can be in.

    Exactly one top-level state; every active sub-state's parent active; a compound
    state with exactly one active child, a parallel one with all of them.
    """
    active = set(configuration)
    if list(configuration) != sorted(active):
        return [f"the configuration {', '.join(configuration)} is not sorted and distinct"]
    top = [s for s in configuration if policy.states[s].parent is None]
    if len(top) != 1:
        return [f"{len(top)} top-level states are active ({', '.join(top) or 'none'})"]
    out = []
    for state_id in configuration:
        state = policy.states[state_id]
        if state.parent is not None and state.parent not in active:
            out.append(f"{state_id} is active without {state.parent}")
        if not state.children:
            continue
        children = [c for c in state.children if c in active]
        if state.parallel and len(children) != len(state.children):
            missing = ", ".join(c for c in state.children if c not in active)
            out.append(f"{state_id} is parallel but {missing} is not active")
        elif not state.parallel and len(children) != 1:
            out.append(f"{state_id} has {len(children)} active sub-states, not one")
    return out


def _member_problems(policy: Policy, state: CaseState) -> list[str]:
    """What is wrong with the household; members are named by their place in it, never
    by their id (which may be personal data)."""
    ids = [m.id for m in state.members]
    out = []
    members = set(ids)
    if len(members) != len(ids):
        out.append(f"member ids occur twice ({len(ids) - len(members)} of {len(ids)})")
    out += [
        f"member {index + 1} is of unknown group {m.group!r}"
        for index, m in enumerate(state.members)
        if m.group not in policy.member_groups
    ][:5]
    out += [
        f"measure {m.measure} is in force for someone who is not a member"
        for m in state.facts.measures
        if m.member not in members
    ][:5]
    return out


def _role_problems(policy: Policy, state: CaseState) -> list[str]:
    active = frozenset(state.configuration)
    out = []
    for role, holders in state.roles.items():
        cell = policy.role_cell(active, role)
        if cell is None:
            out.append(f"{role} is held, but no active state declares it")
            continue
        if not holders:
            out.append(f"{role} is held by nobody")
        wrong = [p for p in holders if p not in _may_hold(policy, cell, state)]
        if wrong:
            out.append(f"{', '.join(wrong)} may not hold {role} in {', '.join(active)}")
    for role in policy.roles:
        cell = policy.role_cell(active, role)
        if cell is not None and not cell.optional and not state.roles.get(role):
            out.append(f"{role} must be held in {', '.join(sorted(active))}, nobody holds it")
    out.extend(breach.message(would=False) for breach in breaches(policy, state.roles, active))
    return out


def _may_hold(policy: Policy, cell: RoleCell, state: CaseState) -> frozenset[str]:
    """Who a case can have in ``cell``: the eligible parties, and those the card itself
    puts there through the measures in force or the dominance."""
    allowed = set(cell.eligible_set)
    if cell.from_measures:
        for active in state.facts.measures:
            allowed.update(policy.measures[active.measure].roles.get(cell.role, ()))
    dominance = state.facts.dominance
    if cell.from_dominance and dominance in policy.dominance:
        allowed.update(policy.dominance[str(dominance)].every_holder(cell.role))
    return frozenset(allowed)


def differences(recorded: CaseState, derived: CaseState, *, limit: int = 5) -> list[str]:
    """Where two states differ, as ``path: recorded X, derived Y`` phrases (the first
    ``limit``), so an auditor sees which part of a snapshot was changed."""
    out: list[str] = []
    _diff(converter.unstructure(recorded), converter.unstructure(derived), "state", out)
    return out[:limit]


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _diff(a.get(key), b.get(key), f"{path}.{key}", out)
        return
    if a == b:
        return
    if path.startswith(_SHOWN):
        out.append(f"{path}: stored {_short(a)}, the events give {_short(b)}")
    else:
        out.append(f"{path} differs")  # may name household members: not repeated


_SHOWN = (
    "state.configuration",
    "state.roles",
    "state.seq",
    "state.facts.dominance",
    "state.timers",
)
"""The parts of a state whose values name only the card's own words (states, roles,
parties): a message may repeat them. Members and measures name household members."""
