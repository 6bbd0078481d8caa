"""Counterexamples: the shortest story that breaks an obligation, in words and as a file.

A finding carries the events of the shortest command sequence that produces it. Here
that sequence is told the way the handreiking speaks (rule titles, party names, the
criteria's own texts) and written as a scenario file that ``regiekaart run`` replays:
the last step's ``expect:`` states the situation in which the obligation is broken,
so the file is a runnable regression test — it passes while the card still allows the
violation and fails the day the card is repaired, which is when it should be turned
around or removed.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Command, ExpireMeasure, Member, unstructure_command
from regiekaart.runtime.records import Event

__all__ = [
    "describe_command",
    "party_name",
    "roles_after",
    "scenario_document",
    "slug",
    "state_title",
    "tag_words",
    "tell",
    "trace_tags",
    "write_scenario",
]

_DEFAULTS: dict[str, Any] = {
    "together": [],
    "criteria": [],
    "holders": {},
    "reason": "",
    "dominance": None,
}


def party_name(policy: Policy, party: str) -> str:
    """The party's name on the card (its id if the card does not know it)."""
    found = policy.parties.get(party)
    return found.name if found is not None and found.name else party


def state_title(policy: Policy, state: str) -> str:
    """The state's title on the card, with its id."""
    found = policy.states.get(state)
    return f"{found.title} ({state})" if found is not None and found.title else state


def describe_command(policy: Policy, command: Command, rule: str = "") -> str:
    """One command in the card's words: who, which rule, on which criteria, whom it names."""
    who = party_name(policy, command.actor)
    if command.together:
        who += " samen met " + ", ".join(party_name(policy, p) for p in command.together)
    what = _rule_title(policy, rule) or command.type
    parts = [f"{who}: {what}"]
    target = getattr(command, "to", None)
    if target and target in policy.states:
        parts.append(f"naar {state_title(policy, target)}")
    dominance = getattr(command, "dominance", None)
    if dominance:
        option = policy.dominance.get(dominance)
        parts.append(
            f"dominant: {option.title if option is not None and option.title else dominance}"
        )
    for attr in ("measure", "decision"):
        value = getattr(command, attr, None)
        if value:
            parts.append(f"{attr} {value}")
    if command.criteria:
        texts = [policy.criteria[c].text if c in policy.criteria else c for c in command.criteria]
        parts.append("criteria: " + "; ".join(texts))
    for role, holders in command.holders.items():
        title = policy.roles[role].title if role in policy.roles else role
        parts.append(f"{title}: " + ", ".join(party_name(policy, p) for p in holders))
    return " — ".join(parts)


def _rule_title(policy: Policy, rule: str) -> str:
    if rule in policy.transitions:
        return policy.transitions[rule].title or rule
    if rule in policy.decisions:
        return policy.decisions[rule].title or rule
    if rule in policy.measures:
        return policy.measures[rule].title or rule
    return rule


def tell(policy: Policy, trace: Sequence[Event]) -> list[str]:
    """The trace as numbered sentences, each with where the case stood after it and the
    tags the step was recorded with (a calamity, stalled co-operation)."""
    lines = []
    for number, event in enumerate(trace, start=1):
        after = ", ".join(event.after)
        told = f"{number}. {describe_command(policy, event.command, event.rule)}  → {after}"
        if event.tags:
            told += f"  [{tag_words(policy, event.tags)}]"
        lines.append(told)
    return lines


def tag_words(policy: Policy, tags: Sequence[str]) -> str:
    """Tags in the card's words: their titles, joined."""
    return ", ".join(policy.tag_title(t) for t in tags)


def trace_tags(trace: Sequence[Event]) -> tuple[str, ...]:
    """Every tag the steps of a story were recorded with, once each, sorted."""
    return tuple(sorted({tag for event in trace for tag in event.tags}))


def _body(command: Command) -> tuple[str, dict[str, Any]]:
    data = unstructure_command(command)
    kind = data.pop("type")
    body = {k: v for k, v in data.items() if not (k in _DEFAULTS and v == _DEFAULTS[k])}
    return kind, body


def scenario_document(
    policy: Policy,
    policy_file: Path,
    out_file: Path,
    *,
    title: str,
    detail: str,
    trace: Sequence[Event],
    household: Sequence[Member],
    opened_by: str,
    roles_after: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """The scenario (as plain data) that replays ``trace`` and expects its end state."""
    steps: list[dict[str, Any]] = []
    for event in trace:
        kind, body = _body(event.command)
        steps.append({kind: body})
        if isinstance(event.command, ExpireMeasure):
            # An expiry is accepted only once the term is over: the step says when.
            steps[-1]["at"] = event.at.isoformat()
    if steps:
        last = trace[-1]
        expect: dict[str, Any] = {"rule": last.rule, "configuration": list(last.after)}
        if roles_after:
            expect["roles"] = {role: list(h) for role, h in sorted(roles_after.items())}
        steps[-1]["expect"] = expect
    relative = os.path.relpath(policy_file.resolve(), out_file.parent.resolve())
    return {
        "title": f"Tegenvoorbeeld: {title}",
        "description": detail,
        "policy": relative,
        "case": slug(f"tegenvoorbeeld-{title}")[:60],
        "household": [{"id": m.id, "group": m.group} for m in household],
        "opened_by": opened_by,
        "steps": steps,
    }


def slug(text: str) -> str:
    """A file- and id-safe version of ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "tegenvoorbeeld"


def write_scenario(document: dict[str, Any], path: Path, story: Sequence[str]) -> Path:
    """Write the scenario with the story as a comment on top; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# {line}\n" for line in story)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + text, encoding="utf-8")
    return path


def roles_after(
    policy: Policy, opened_by: str, household: Sequence[Member], trace: Sequence[Event]
) -> dict[str, tuple[str, ...]]:
    """The role holders after replaying ``trace`` on a fresh case (what the last step expects)."""
    from structlog.testing import capture_logs

    from regiekaart.analysis.search import PathClock
    from regiekaart.runtime.case import Case

    moments = iter([PathClock.START, *(event.at for event in trace)])
    with capture_logs():
        case = Case.create(
            policy, "replay", actor=opened_by, members=household, clock=lambda: next(moments)
        )
        for event in trace:
            case.apply(event.command)
    return dict(case.roles)
