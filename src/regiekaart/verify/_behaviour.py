"""The behaviour diff: in every situation two policies both reach, what each says to a command.

Both explorations key their situations the same way (the facts either card reads), so
a situation reached under both is recognised as one. A command one policy accepts and
the other refuses there is a behaviour change, told as the shortest story to it; a
command only one exploration suggested is tried on a live case of the other.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from structlog.testing import capture_logs

from regiekaart.analysis.search import Arrival, Outcome, Tried, case_at, try_command
from regiekaart.analysis.situations import SituationKey, situation_key
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Command, structure_command, unstructure_command
from regiekaart.runtime.records import CaseState, Event
from regiekaart.verify.counterexample import describe_command, tell


@attrs.frozen
class BehaviourChange:
    """A command accepted under one policy and refused under the other, in one situation."""

    accepted_by: str
    """``old`` or ``new``: which policy accepts it."""
    command: dict[str, Any]
    rule: str
    refusal: str
    """Refusal class and message under the other policy."""
    trace: tuple[str, ...]
    """The shortest story: the steps to the situation and the command itself, in words."""
    length: int


@attrs.frozen
class Answer:
    """What one policy said to one command in one situation: accepted under a rule, or
    refused (with the refusal in words). Small, so a parallel exploration can send it."""

    command: Command
    rule: str | None
    refusal: str = ""

    @classmethod
    def of(cls, outcome: Outcome) -> Answer:
        if outcome.event is not None:
            return cls(outcome.command, outcome.event.rule)
        refusal = outcome.refusal
        return cls(outcome.command, None, f"{type(refusal).__name__}: {refusal}")


@attrs.define
class Graph:
    """What one exploration saw, under keys both explorations share."""

    policy: Policy
    facts: frozenset[str]
    common: dict[SituationKey, SituationKey] = attrs.field(factory=dict)
    """bfs key → shared key."""
    states: dict[SituationKey, CaseState] = attrs.field(factory=dict)
    paths: dict[SituationKey, tuple[Event, ...]] = attrs.field(factory=dict)
    answers: dict[SituationKey, dict[str, Answer]] = attrs.field(factory=dict)

    def visit(self, key: SituationKey, live: Any, step: Arrival) -> None:
        shared = situation_key(live.state, obligations=True, facts=self.facts)
        self.common[key] = shared
        if shared not in self.states:
            self.states[shared] = live.state
            self.paths[shared] = live.events[1:]

    @staticmethod
    def observe(
        key: SituationKey, before: CaseState, outcome: Outcome, live: Any
    ) -> tuple[str, Answer]:
        """Beside the case (in a worker when the search is parallel)."""
        return command_id(outcome.command), Answer.of(outcome)

    def tally(self, key: SituationKey, tried: Tried) -> None:
        name, answer = tried.note
        self.answers.setdefault(self.common[key], {}).setdefault(name, answer)


def command_id(command: Command) -> str:
    data = unstructure_command(command)
    data.pop("reason", None)
    return json.dumps(data, sort_keys=True)


def compare(old: Graph, new: Graph, *, limit: int) -> tuple[list[BehaviourChange], int]:
    shared = [key for key in old.states if key in new.states]
    found: dict[str, list[BehaviourChange]] = {"old": [], "new": []}
    with capture_logs():
        for key in shared:
            names = {*old.answers.get(key, {}), *new.answers.get(key, {})}
            for name in sorted(names):
                a = _answer(old, key, name)
                b = _answer(new, key, name)
                if (a.rule is None) == (b.rule is None):
                    continue
                side, graph, other = ("old", old, b) if a.rule is not None else ("new", new, a)
                accepted = a if a.rule is not None else b
                assert accepted.rule is not None
                path = graph.paths[key]
                last = describe_command(graph.policy, accepted.command, accepted.rule)
                story = (*tell(graph.policy, path), f"{len(path) + 1}. {last}")
                found[side].append(
                    BehaviourChange(
                        accepted_by=side,
                        command=unstructure_command(accepted.command),
                        rule=accepted.rule,
                        refusal=other.refusal,
                        trace=story,
                        length=len(path) + 1,
                    )
                )
    out: list[BehaviourChange] = []
    for side in ("old", "new"):
        out.extend(sorted(found[side], key=lambda c: (c.length, c.rule))[:limit])
    return out, len(shared)


def _answer(graph: Graph, key: SituationKey, name: str) -> Answer:
    """What ``graph``'s policy says to command ``name`` in situation ``key`` (tried now on
    a live case if that exploration did not suggest the command)."""
    known = graph.answers.get(key, {}).get(name)
    if known is not None:
        return known
    command = structure_command(json.loads(name))
    answer = Answer.of(try_command(case_at(graph.policy, graph.states[key], ()), command))
    graph.answers.setdefault(key, {})[name] = answer
    return answer
