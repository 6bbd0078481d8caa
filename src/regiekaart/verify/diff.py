"""What a policy change changes: on the card, and in what a case may do.

The card diff compares the two policies as data: role cells per phase and sub-state
(default holders, eligible parties, who appoints), transitions (added, removed, and
their deciders, criteria and requirements), criteria texts, measures and dominance
options. The behaviour diff explores both policies with the same scope from the same
household and, in every situation both reach, compares the outcome of every command
either policy suggests there: a command one accepts and the other refuses is a
behaviour change, reported with the shortest story to it. Invariants that hold under
the old card and fail under the new one come with the new card's counterexample.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.situations import relevant_facts
from regiekaart.policy.criteria import describe
from regiekaart.policy.model import Policy
from regiekaart.terminal import counted
from regiekaart.verify._behaviour import BehaviourChange, Graph, compare
from regiekaart.verify._timing import time_changes
from regiekaart.verify.counterexample import tell
from regiekaart.verify.exhaustive import VERIFY_SCOPE, explore
from regiekaart.verify.findings import Exploration

__all__ = [
    "BehaviourChange",
    "Change",
    "InvariantChange",
    "PolicyDiff",
    "card_changes",
    "changed_ids",
    "diff_policies",
    "render_diff",
]


@attrs.frozen
class Change:
    """One difference on the card: what, where, before and after (as plain data)."""

    kind: str
    """``role``, ``transition``, ``criterion``, ``measure``, ``dominance``, ``party``,
    ``group`` (a party group's title or members); ``tag`` (a declared tag) and ``tags``
    (the tags of a rule or criterion, ``where`` naming it as ``transitions.ID``,
    ``criteria.ID`` …); ``time`` (a term, a stay or a deadline, ``where`` naming it as
    ``measures.ID``, ``states.ID``, ``obligations.ID``)."""
    where: str
    what: str
    old: Any = None
    new: Any = None


@attrs.frozen
class InvariantChange:
    """An obligation that held under the old policy and fails under the new one."""

    check: str
    title: str
    source: str
    detail: str
    trace: tuple[str, ...]


@attrs.define
class PolicyDiff:
    """The card changes and the behaviour changes between two policies."""

    old: Policy
    new: Policy
    card: list[Change]
    behaviour: list[BehaviourChange]
    invariants: list[InvariantChange]
    compared: int
    """Situations both policies reach, in which every command was compared."""
    old_run: Exploration
    new_run: Exploration

    @property
    def bound_hit(self) -> bool:
        """Either exploration stopped at the bound: the behaviour diff may be incomplete."""
        return self.old_run.bound_hit or self.new_run.bound_hit

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able data (``regiekaart diff --json``)."""
        return {
            "old": {"id": self.old.id, "version": self.old.version, "digest": self.old.digest},
            "new": {"id": self.new.id, "version": self.new.version, "digest": self.new.digest},
            "card": [attrs.asdict(c) for c in self.card],
            "behaviour": [attrs.asdict(b) for b in self.behaviour],
            "invariants": [attrs.asdict(i) for i in self.invariants],
            "situations_compared": self.compared,
            "bound_hit": self.bound_hit,
            "situations": {"old": self.old_run.situations, "new": self.new_run.situations},
        }


# -- the card --------------------------------------------------------------------------------


def card_changes(old: Policy, new: Policy) -> list[Change]:
    """Every difference between the two cards, as data, in a stable order."""
    out: list[Change] = []
    out.extend(
        _keyed("party", old.parties, new.parties, lambda p: {"name": p.name, "kind": p.kind})
    )
    out.extend(
        _keyed(
            "group",
            old.party_groups,
            new.party_groups,
            lambda g: {"title": g.title, "members": list(g.members)},
        )
    )
    for sid in _union(old.states, new.states):
        a, b = old.states.get(sid), new.states.get(sid)
        if a is None or b is None:
            out.append(Change("state", sid, "added" if a is None else "removed"))
            continue
        for role in _union(a.roles, b.roles):
            ca, cb = a.roles.get(role), b.roles.get(role)
            before = _cell(ca) if ca is not None else None
            after = _cell(cb) if cb is not None else None
            if before != after:
                out.append(Change("role", f"{sid}.{role}", _what(before, after), before, after))
    out.extend(_keyed("role", old.roles, new.roles, _counted))
    out.extend(_keyed("transition", old.transitions, new.transitions, _rule))
    out.extend(_keyed("criterion", old.criteria, new.criteria, lambda c: c.text))
    out.extend(
        _keyed(
            "measure",
            old.measures,
            new.measures,
            lambda m: {
                "title": m.title,
                "group": m.group,
                "imposed_by": list(m.imposed_by),
                "ended_by": list(m.ended_by),
                "roles": {role: list(holders) for role, holders in m.roles.items()},
            },
        )
    )
    out.extend(
        _keyed(
            "dominance",
            old.dominance,
            new.dominance,
            lambda d: {role: list(h) for role, h in sorted(d.roles.items())},
        )
    )
    out.extend(_keyed("decision", old.decisions, new.decisions, _decision))
    out.extend(_keyed("activity", old.activities, new.activities, _activity))
    out.extend(_tag_changes(old, new))
    for where, before, after in time_changes(old, new):
        out.append(Change("time", where, _what(before, after), before, after))
    return out


_TAGGED = ("transitions", "criteria", "measures", "decisions", "activities")
"""The parts of a card whose entries may carry tags."""


def _tag_changes(old: Policy, new: Policy) -> list[Change]:
    """Declared tags added, removed or retitled, and every rule or criterion present in
    both cards whose tags changed: a step counted under another tag in every report."""
    out = _keyed("tag", old.tags, new.tags, lambda t: {"title": t.title})
    for part in _TAGGED:
        before: Mapping[str, Any] = getattr(old, part)
        after: Mapping[str, Any] = getattr(new, part)
        for key in before:
            if key in after and before[key].tags != after[key].tags:
                old_tags, new_tags = list(before[key].tags), list(after[key].tags)
                out.append(Change("tags", f"{part}.{key}", "changed", old_tags, new_tags))
    return out


def _decision(decision: Any) -> dict[str, Any]:
    return {
        "by": [list(g) for g in decision.by],
        "in": list(decision.in_states),
        "sets": decision.sets,
        "inform": list(decision.inform),
    }


def _activity(activity: Any) -> dict[str, Any]:
    return {
        "command": activity.command,
        "in": list(activity.in_states),
        "by": list(activity.by),
        "by_kinds": list(activity.by_kinds),
        "to": list(activity.to),
    }


def _union(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return [*a, *(k for k in b if k not in a)]


def _what(before: Any, after: Any) -> str:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    fields = [k for k in before if before[k] != after.get(k)] if isinstance(before, dict) else []
    return "changed: " + ", ".join(fields) if fields else "changed"


def _keyed(kind: str, old: Mapping[str, Any], new: Mapping[str, Any], view: Any) -> list[Change]:
    out = []
    for key in _union(old, new):
        before = view(old[key]) if key in old else None
        after = view(new[key]) if key in new else None
        if before != after:
            out.append(Change(kind, key, _what(before, after), before, after))
    return out


def _cell(cell: Any) -> dict[str, Any]:
    return {
        "holders": list(cell.holders),
        "eligible": list(cell.eligible),
        "appoint": [list(g) for g in cell.appoint],
        "from_measures": cell.from_measures,
        "from_dominance": cell.from_dominance,
        "optional": cell.optional,
        "keep": cell.keep,
        **_counted(cell),
    }


def _counted(item: Any) -> dict[str, Any]:
    """How many hold a role, who chairs them and where its row stands, as a role or a
    cell states them: only what is stated, so a card that states none diffs as before."""
    keys = ("min_holders", "max_holders", "chair", "order")
    return {key: getattr(item, key) for key in keys if getattr(item, key, None)}


def _rule(rule: Any) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "from": rule.source_state,
        "to": rule.target_state,
        "deciders": [list(g) for g in rule.deciders],
        "criteria": list(rule.criteria),
        "requirement": describe(rule.requirement) if rule.requirement is not None else None,
        "optional_criteria": list(rule.optional_criteria),
        "requires": list(rule.requires),
        "assign": {role: list(h) for role, h in sorted(rule.assign.items())},
    }


# -- both ------------------------------------------------------------------------------------


def diff_policies(
    old: Policy,
    new: Policy,
    *,
    scope: Scope = VERIFY_SCOPE,
    max_states: int = 20_000,
    limit: int = 10,
    workers: int = 1,
) -> PolicyDiff:
    """Compare two policies on the card and in behaviour (both explored with ``scope``,
    each over ``workers`` processes)."""
    facts = relevant_facts(old) | relevant_facts(new)
    graphs = (Graph(old, facts), Graph(new, facts))
    runs = [
        explore(
            g.policy,
            scope=scope,
            max_states=max_states,
            on_visit=g.visit,
            observe=g.observe,
            on_tally=g.tally,
            workers=workers,
        )
        for g in graphs
    ]
    behaviour, compared = compare(*graphs, limit=limit)
    invariants = []
    for check, title, source in runs[1].checks():
        # Under a bound, "held" means: not violated anywhere OLD's exploration reached.
        if runs[0].status(check) != "violated" and runs[1].status(check) == "violated":
            found = runs[1].findings_for(check)[0]
            invariants.append(
                InvariantChange(
                    check,
                    title,
                    source or found.source,
                    found.detail,
                    tuple(tell(new, found.trace)),
                )
            )
    return PolicyDiff(
        old, new, card_changes(old, new), behaviour, invariants, compared, runs[0], runs[1]
    )


# -- rendering -------------------------------------------------------------------------------


def render_diff(result: PolicyDiff) -> RenderableType:
    """The terminal report: card changes, behaviour changes both ways, broken invariants."""
    parts: list[RenderableType] = [
        Text(
            f"{result.old.id} {result.old.version} → {result.new.id} {result.new.version}",
            style="bold",
        )
    ]
    table = Table(title="Card changes")
    for column in ("kind", "where", "what", "old", "new"):
        table.add_column(column)
    for change in result.card:
        table.add_row(
            change.kind, change.where, change.what, _short(change.old), _short(change.new)
        )
    parts.append(table if result.card else Text("No changes on the card."))
    parts.append(
        Text(
            f"\nBehaviour: {counted(result.compared, 'situation')} reached under both cards "
            f"compared ({result.old_run.situations} old, {result.new_run.situations} new)."
        )
    )
    if result.bound_hit:
        parts.append(
            Text("A bound was hit: behaviour changes beyond it are not shown.", style="yellow")
        )
    for side, label in (
        ("old", "accepted by OLD, refused by NEW"),
        ("new", "accepted by NEW, refused by OLD"),
    ):
        shown = [c for c in result.behaviour if c.accepted_by == side]
        parts.append(Text(f"\n{label}: {len(shown) or 'none'}", style="bold"))
        for item in shown:
            parts.extend(Text(f"  {line}") for line in item.trace)
            parts.append(Text(f"    refused: {item.refusal}", style="red"))
    if result.invariants:
        parts.append(
            Text("\nObligations that held under OLD and fail under NEW:", style="bold red")
        )
        for broken in result.invariants:
            parts.append(
                Text(f"  ✗ {broken.title} ({broken.source}): {broken.detail}", style="red")
            )
            parts.extend(Text(f"    {line}") for line in broken.trace)
    else:
        parts.append(Text("\nNo obligation that held under OLD fails under NEW.", style="green"))
    return Group(*parts)


def _short(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def changed_ids(changes: Iterable[Change]) -> set[tuple[str, str]]:
    """(kind, where) of every card change: handy for tests and hosts."""
    return {(c.kind, c.where) for c in changes}
