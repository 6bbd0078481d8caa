"""The values of a scenario: the story as read, what must hold, and what a play gave.

Reading (:mod:`regiekaart.scenario.reader`) builds these from a file and playing
(:mod:`regiekaart.scenario.play`) produces the results; both the views of the render
layer and the command line take them as they are, so they are frozen and carry where in
the file each step stands.

May import: ``regiekaart.analysis``, ``regiekaart.runtime``, ``regiekaart.policy`` and
the foundation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen

from regiekaart.errors import CommandRefused, PolicyError
from regiekaart.policy.model import Policy
from regiekaart.policy.sourcemap import KeyPath, dotted, enclosing
from regiekaart.runtime.commands import (
    COMMAND_TYPES,
    Command,
    Member,
    unstructure_command,
)
from regiekaart.runtime.records import Event, Facts, OpenObligation
from regiekaart.scenario._expect import HolderClaim, fact_failures, log_failures
from regiekaart.terminal import counted

__all__ = [
    "STEP_COMMANDS",
    "STEP_KEYS",
    "Expectation",
    "Scenario",
    "ScenarioResult",
    "Step",
    "StepResult",
    "open_by_obligation",
]

STEP_COMMANDS: tuple[str, ...] = tuple(kind for kind in COMMAND_TYPES if kind != "open")
"""The command types a step may name; a case is opened by the scenario itself."""

STEP_KEYS: tuple[str, ...] = ("expect", "at")
"""The keys a step may have besides its command."""


@frozen(kw_only=True)
class Expectation:
    """What must hold after a step; only what is stated is compared.

    A step without ``refused`` must be accepted: a story whose step the engine refuses
    does not hold, even when the author wrote no expectation for it.
    """

    phase: str | None = None
    configuration: tuple[str, ...] | None = None
    """States that must be active; with ``exact`` exactly these are."""
    exact: bool = False
    roles: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    refused: str | None = None
    rule: str | None = None
    open_obligations: Mapping[str, frozenset[str]] | None = None
    informed: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    claims: Mapping[str, HolderClaim] = attrs.field(factory=dict)
    """Roles whose holders are claimed short of a list (one of, includes, excludes, empty)."""
    facts: Mapping[str, bool] = attrs.field(factory=dict)
    measures: frozenset[str] | None = None
    """Exactly the measures in force (by measure id), when stated."""
    dominance: tuple[str | None] | None = None
    """The dominance (``(None,)``: none), when stated."""
    recorded: tuple[str, ...] = ()
    """Event kinds the log holds by now."""
    not_recorded: tuple[str, ...] = ()
    """Event kinds the log may not hold from this step on (checked by the play)."""

    def failures(self, result: StepResult) -> tuple[str, ...]:
        """What differed between this expectation and the step's result, in words."""
        out: list[str] = []
        out.extend(self._outcome(result))
        if self.rule is not None and result.rule != self.rule:
            out.append(f"rule: expected {self.rule}, got {result.rule or 'none'}")
        if self.phase is not None and result.phase != self.phase:
            out.append(f"phase: expected {self.phase}, got {result.phase}")
        out.extend(self._configuration(result))
        for role, expected in self.roles.items():
            actual = frozenset(result.roles.get(role, ()))
            if actual != expected:
                out.append(f"{role}: expected {_names(expected)}, got {_names(actual)}")
        if self.open_obligations is not None:
            duties = open_by_obligation(result.open_obligations)
            actual_duties = {key: frozenset(value) for key, value in duties.items()}
            if actual_duties != dict(self.open_obligations):
                out.append(
                    f"open obligations: expected {_duties(self.open_obligations)}, "
                    f"got {_duties(actual_duties)}"
                )
        out.extend(self._informed(result))
        for role, claim in self.claims.items():
            out.extend(claim.failures(role, result.roles.get(role, ())))
        out.extend(fact_failures(result.facts, self.facts, self.measures, self.dominance))
        out.extend(log_failures(result.recorded, self.recorded))
        return tuple(out)

    def _outcome(self, result: StepResult) -> Iterator[str]:
        refusal = result.refusal
        if self.refused is None:
            if refusal is not None:
                yield f"refused with {type(refusal).__name__}: {refusal}"
            return
        if refusal is None:
            yield f"expected refusal {self.refused}, but it was accepted (rule {result.rule})"
        elif self.refused not in {cls.__name__ for cls in type(refusal).__mro__}:
            yield f"expected refusal {self.refused}, got {type(refusal).__name__}: {refusal}"

    def _configuration(self, result: StepResult) -> Iterator[str]:
        if self.configuration is None:
            return
        active = set(result.configuration)
        got = ", ".join(result.configuration)
        if self.exact and active != set(self.configuration):
            yield f"configuration: expected {', '.join(self.configuration)}, got {got}"
        elif not self.exact:
            missing = [s for s in self.configuration if s not in active]
            if missing:
                yield f"configuration: expected {', '.join(missing)} active, got {got}"

    def _informed(self, result: StepResult) -> Iterator[str]:
        recorded = {
            (item.recipient, by)
            for item in (result.event.informed if result.event else ())
            if item.done
            for by in item.by
        }
        for recipient, senders in self.informed.items():
            for sender in sorted(senders):
                if (recipient, sender) not in recorded:
                    yield f"informed: {recipient} is not recorded as informed by {sender}"


@frozen(kw_only=True)
class Step:
    """One command of a story, where it stands in the file, and what must follow."""

    index: int
    """1-based, as a reader counts the steps."""
    command: Command
    expect: Expectation = Expectation()
    at: datetime | None = None
    line: int | None = None


@frozen(kw_only=True)
class Scenario:
    """A case story read from a file."""

    file: str
    case_id: str
    steps: tuple[Step, ...]
    title: str = ""
    description: str = ""
    policy: Path | None = None
    """The policy the file names, found from the file's folder (see
    :mod:`regiekaart.policy.roots`) and resolved: it is known to lie where cards may be read."""
    policy_problem: PolicyError | None = attrs.field(default=None, eq=False, repr=False)
    """Why the policy the file names cannot be used (outside the allowed directories,
    missing); raised only when the scenario is played against it."""
    household: tuple[Member, ...] = ()
    opened_by: str | None = None
    start: datetime | None = None
    lines: Mapping[str, int] = attrs.field(factory=dict)
    """Dotted path → line, so problems found later still point into the file."""

    @property
    def opener(self) -> str:
        """Who registers the case: ``opened_by``, else the actor of the first step."""
        return self.opened_by or self.steps[0].command.actor

    def error(self, path: KeyPath, message: str) -> PolicyError:
        """A :class:`PolicyError` at ``path`` of this file (its nearest known line)."""
        probe = enclosing(path, lambda known: dotted(known) in self.lines)
        return PolicyError(
            message, file=self.file, line=self.lines.get(dotted(probe)), path=dotted(path)
        )


@frozen(kw_only=True)
class StepResult:
    """What one step did: the event it was accepted as, or its refusal, and the case after."""

    index: int
    command: Command
    event: Event | None
    refusal: CommandRefused | None
    configuration: tuple[str, ...]
    phase: str
    roles: Mapping[str, tuple[str, ...]]
    open_obligations: tuple[OpenObligation, ...]
    failures: tuple[str, ...] = ()
    line: int | None = None
    facts: Facts = attrs.field(factory=Facts)
    recorded: tuple[str, ...] = ()
    """The kind of every event of the log so far, the opening included."""

    @property
    def accepted(self) -> bool:
        """Whether the case took the command."""
        return self.event is not None

    @property
    def rule(self) -> str:
        """The rule that accepted or refused the command (may be empty for a refusal)."""
        if self.event is not None:
            return self.event.rule
        return self.refusal.rule if self.refusal is not None else ""

    @property
    def source(self) -> str:
        """The handreiking section of that rule."""
        if self.event is not None:
            return self.event.source
        return self.refusal.source if self.refusal is not None else ""

    @property
    def passed(self) -> bool:
        """Whether every expectation of the step held."""
        return not self.failures

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able data for machines (``regiekaart run --json``)."""
        refusal = self.refusal
        return {
            "step": self.index,
            "line": self.line,
            "command": unstructure_command(self.command),
            "accepted": self.accepted,
            "at": self.event.at.isoformat() if self.event is not None else None,
            "rule": self.rule,
            "source": self.source,
            "refused": type(refusal).__name__ if refusal is not None else None,
            "message": refusal.message if refusal is not None else None,
            "phase": self.phase,
            "configuration": list(self.configuration),
            "roles": {role: list(holders) for role, holders in self.roles.items()},
            "open_obligations": [
                {"obligation": d.obligation, "recipient": d.recipient, "due_by": list(d.due_by)}
                for d in self.open_obligations
            ],
            "informed": [
                {
                    "recipient": i.recipient,
                    "by": list(i.by),
                    "obligation": i.obligation,
                    "done": i.done,
                }
                for i in (self.event.informed if self.event is not None else ())
            ],
            "tags": list(self.event.tags) if self.event is not None else [],
            "failures": list(self.failures),
        }


@frozen(kw_only=True)
class ScenarioResult:
    """A played scenario: the opening of the case and one result per step."""

    scenario: Scenario
    policy: Policy
    opening: StepResult
    steps: tuple[StepResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every step met its expectations."""
        return all(step.passed for step in self.steps)

    def failures(self) -> list[tuple[StepResult, str]]:
        """Each failed expectation with its step, in story order."""
        return [(step, failure) for step in self.steps for failure in step.failures]

    def summary(self) -> str:
        """One line: passed, or the first step that failed and what differed."""
        failed = [step for step in self.steps if step.failures]
        name = self.scenario.file
        if not failed:
            return f"{name}: passed ({counted(len(self.steps), 'step')})"
        first = failed[0]
        where = f"{name}:{first.line}" if first.line is not None else name
        more = f" (and {len(failed) - 1} more failed steps)" if len(failed) > 1 else ""
        what = "; ".join(first.failures)
        return f"{where}: step {first.index} ({first.command.type}) failed: {what}{more}"

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able data for machines (``regiekaart run --json``)."""
        return {
            "scenario": self.scenario.file,
            "title": self.scenario.title,
            "case": self.scenario.case_id,
            "policy": {
                "id": self.policy.id,
                "version": self.policy.version,
                "digest": self.policy.digest,
            },
            "passed": self.passed,
            "summary": self.summary(),
            "opening": self.opening.as_json(),
            "steps": [step.as_json() for step in self.steps],
        }


def open_by_obligation(duties: Sequence[OpenObligation]) -> dict[str, tuple[str, ...]]:
    """Open duties grouped as ``{obligation: (recipients,)}``, the form scenarios use."""
    out: dict[str, list[str]] = {}
    for duty in duties:
        out.setdefault(duty.obligation, []).append(duty.recipient)
    return {key: tuple(value) for key, value in out.items()}


def _names(parties: frozenset[str]) -> str:
    return ", ".join(sorted(parties)) if parties else "no holder"


def _duties(duties: Mapping[str, frozenset[str]]) -> str:
    if not duties:
        return "none"
    return "; ".join(f"{duty}: {', '.join(sorted(r))}" for duty, r in sorted(duties.items()))
