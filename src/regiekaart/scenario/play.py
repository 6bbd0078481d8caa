"""Scenarios: case stories told as files and played against a policy.

A policy officer checks a card the way the handreiking explains it: by telling a case.
A scenario file names a household, the party that opens the case and the commands that
follow, each optionally with what must hold afterwards (the phase, the kader, who holds
which role, or that the step is refused and why). Playing it runs a real
:class:`~regiekaart.runtime.case.Case`, so a scenario that passes is evidence about the engine
and the card together, and a scenario that fails says which step and what differed.

Scenario files are read with the same machinery as policies: every problem names the
file, the line and the path, and a malformed command is such a problem, never a
traceback. The format is described by ``scenario/scenario.schema.json`` and in
``docs/policy-format.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema
from attrs import frozen

from regiekaart.clock import StepClock
from regiekaart.errors import (
    CommandRefused,
    InvalidIdentifier,
    LimitExceeded,
    PolicyError,
    PolicyErrors,
)
from regiekaart.ids import check_id
from regiekaart.limits import Limits, exceeded, read_at_most
from regiekaart.limits import resolve as resolve_limits
from regiekaart.policy.loader import load_policy
from regiekaart.policy.model import Policy
from regiekaart.policy.roots import SearchPath, find_card
from regiekaart.policy.sourcemap import (
    KeyPath,
    Located,
    dotted,
    enclosing,
    load_yaml,
    nearest_line,
    schema_errors,
)
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import (
    COMMAND_TYPES,
    Command,
    Member,
    structure_command,
    unstructure_command,
)
from regiekaart.runtime.records import Event, OpenObligation

STEP_COMMANDS: tuple[str, ...] = tuple(kind for kind in COMMAND_TYPES if kind != "open")
"""The command types a step may name; a case is opened by the scenario itself."""

STEP_KEYS: tuple[str, ...] = ("expect", "at")
"""The keys a step may have besides its command."""

_LIST_FIELDS = ("together", "criteria")


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema every scenario document must satisfy."""
    source = resources.files("regiekaart.scenario").joinpath("scenario.schema.json")
    text = source.read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# -- the model ---------------------------------------------------------------------------


def _holder_sets(value: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(parties) for key, parties in value.items()}


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
            actual_duties = _holder_sets(open_by_obligation(result.open_obligations))
            if actual_duties != dict(self.open_obligations):
                out.append(
                    f"open obligations: expected {_duties(self.open_obligations)}, "
                    f"got {_duties(actual_duties)}"
                )
        out.extend(self._informed(result))
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


# -- reading -------------------------------------------------------------------------------


def load_scenario(
    path: str | Path, *, limits: Limits | None = None, search_path: SearchPath = ()
) -> Scenario:
    """Read and validate the scenario file at ``path``.

    The ``policy:`` it names must be a card in the scenario's directory tree, in a
    directory of ``search_path`` or ``REGIEKAART_PATH``, or in the shipped ``machines/``
    (see :mod:`regiekaart.policy.roots`); the file and its steps are bounded by ``limits``.
    Raises :class:`~regiekaart.errors.PolicyError` (or :class:`PolicyErrors` with every
    problem found), each naming the file, the line and the path.
    """
    path = Path(path)
    bounds = resolve_limits(limits)
    data, located = load_yaml(path, kind="scenario", limits=bounds)
    name = str(path)
    _check_steps(data, located, name, bounds)
    try:
        data = _plain(data)
        problems = _schema_problems(data, located, name)
    except RecursionError:
        raise exceeded(
            "nested too deeply to check", "max_depth", bounds.max_depth, file=name
        ) from None
    broken = {p.path for p in problems}
    steps = []
    raw_steps = data.get("steps")
    for index, raw in enumerate(raw_steps if isinstance(raw_steps, list) else ()):
        if not isinstance(raw, dict) or any(_within(b, dotted(("steps", index))) for b in broken):
            continue
        try:
            steps.append(_step(index, raw, located, name))
        except PolicyError as exc:
            problems.append(exc)
    start = None
    if "start" not in broken and isinstance(data.get("start"), str):
        start = _when(data["start"], ("start",), located, name, problems)
    household = _household(data, located, name, problems)
    if problems:
        raise PolicyErrors(sorted(problems, key=lambda e: (e.line or 0, e.path)))
    lines = {dotted(p): line for p, (_, line) in located.items()}
    policy, policy_problem = _named_policy(path, data.get("policy"), located, search_path)
    return Scenario(
        file=name,
        case_id=data["case"],
        steps=tuple(steps),
        title=str(data.get("title", "")),
        description=str(data.get("description", "")).strip(),
        policy=policy,
        policy_problem=policy_problem,
        household=household,
        opened_by=data.get("opened_by"),
        start=start,
        lines=lines,
    )


def _household(
    data: Mapping[str, Any], located: Located, name: str, problems: list[PolicyError]
) -> tuple[Member, ...]:
    """The case id and the household as the runtime will take them: an id that is not an
    identifier is a problem of the file, at its line, not an error when the story plays.
    (Values of the wrong type are the schema's to report.)"""
    if isinstance(data.get("case"), str):
        try:
            check_id("case", data["case"])
        except InvalidIdentifier as exc:
            line = nearest_line(located, ("case",))
            problems.append(PolicyError(str(exc), file=name, line=line, path="case"))
    members = []
    raw_members = data.get("household")
    for index, raw in enumerate(raw_members if isinstance(raw_members, list) else ()):
        if not isinstance(raw, dict) or not {"id", "group"} <= set(raw):
            continue
        try:
            members.append(Member(id=raw["id"], group=raw["group"]))
        except InvalidIdentifier as exc:
            at = ("household", index)
            line = nearest_line(located, at)
            problems.append(PolicyError(str(exc), file=name, line=line, path=dotted(at)))
    return tuple(members)


def _named_policy(
    path: Path, ref: str | None, located: Located, search_path: SearchPath
) -> tuple[Path | None, PolicyError | None]:
    """The card ``policy:`` names, or why it cannot be used: kept, not raised, because a
    policy given by the caller replaces it and then it does not matter."""
    if not ref:
        return None, None
    try:
        line = nearest_line(located, ("policy",))
        return find_card(path, ref, key="policy", line=line, search_path=search_path), None
    except PolicyError as exc:
        return None, exc


def _check_steps(data: dict[str, Any], located: Located, name: str, limits: Limits) -> None:
    """Refuse a story longer than ``max_scenario_steps`` before any step is checked."""
    steps = data.get("steps")
    if isinstance(steps, list) and len(steps) > limits.max_scenario_steps:
        raise exceeded(
            f"the scenario has {len(steps):,} steps",
            "max_scenario_steps",
            limits.max_scenario_steps,
            file=name,
            line=nearest_line(located, ("steps",)),
        )


def is_scenario_file(path: str | Path, *, limits: Limits | None = None) -> bool:
    """Whether the YAML file at ``path`` is a scenario (it has ``steps:``), not a policy.

    A file that cannot be read is not a scenario; loading it as a policy reports why.
    A file too large to read is judged by its first lines, so that the scenario's own
    limit is the one reported, not a card's.
    """
    try:
        data, _ = load_yaml(Path(path), kind="scenario", limits=limits, strict=False)
    except LimitExceeded:
        return _looks_like_scenario(Path(path))
    except PolicyError:
        return False
    return isinstance(data, dict) and "steps" in data and "regiekaart" not in data


_TOP_KEY = re.compile(r"^(steps|regiekaart)\s*:", re.MULTILINE)


def _looks_like_scenario(path: Path) -> bool:
    """A top-level ``steps:`` in the first 64 kB, before any ``regiekaart:``."""
    try:
        with path.open("rb") as stream:
            head = read_at_most(stream, 65536).decode("utf-8", "replace")
    except OSError:
        return False
    match = _TOP_KEY.search(head)
    return match is not None and match.group(1) == "steps"


def _plain(value: Any) -> Any:
    """YAML timestamps as ISO text, so the schema sees what the author wrote."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _schema_problems(data: dict[str, Any], located: Located, name: str) -> list[PolicyError]:
    validator = jsonschema.Draft202012Validator(scenario_schema())
    return schema_errors(validator, data, located, _schema_message, file=name)


def _within(path: str, prefix: str) -> bool:
    """Whether dotted ``path`` is ``prefix`` or lies inside it."""
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def _schema_message(error: jsonschema.ValidationError, path: KeyPath) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        unknown = ", ".join(repr(k) for k in error.instance if k not in allowed)
        if len(path) == 2 and path[0] == "steps":
            return (
                f"unknown command or key {unknown} (commands: {', '.join(STEP_COMMANDS)}; "
                f"other keys: {', '.join(STEP_KEYS)})"
            )
        return f"unknown key {unknown} (allowed here: {', '.join(allowed)})"
    if (
        error.validator == "oneOf"
        and isinstance(error.schema, dict)
        and error.schema.get("description")
    ):
        return f"{error.message} (expected: {error.schema['description']})"
    return str(error.message)


def _step(index: int, raw: dict[str, Any], located: Located, name: str) -> Step:
    path: KeyPath = ("steps", index)
    line = nearest_line(located, path)
    kinds = [key for key in raw if key in STEP_COMMANDS]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        raise PolicyError(
            f"a step names exactly one command (one of: {', '.join(STEP_COMMANDS)}); "
            f"found: {found}",
            file=name,
            line=line,
            path=dotted(path),
        )
    kind = kinds[0]
    body = {key: _listed(key, value) for key, value in (raw[kind] or {}).items()}
    try:
        command = structure_command({"type": kind, **body})
    except ValueError as exc:
        raise PolicyError(
            str(exc),
            file=name,
            line=nearest_line(located, (*path, kind)),
            path=dotted((*path, kind)),
        ) from None
    problems: list[PolicyError] = []
    at = _when(raw.get("at"), (*path, "at"), located, name, problems)
    if problems:
        raise problems[0]
    return Step(
        index=index + 1,
        command=command,
        expect=_expectation(raw.get("expect") or {}),
        at=at,
        line=line,
    )


def _listed(key: str, value: Any) -> Any:
    """One id where a list is expected reads as a list of one (``together: some-party``)."""
    if key in _LIST_FIELDS and isinstance(value, str):
        return [value]
    if key == "holders" and isinstance(value, dict):
        return {role: [v] if isinstance(v, str) else v for role, v in value.items()}
    return value


def _when(
    value: str | None, path: KeyPath, located: Located, name: str, problems: list[PolicyError]
) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append(
            PolicyError(
                f"{value!r} is not a date and time (ISO 8601, e.g. 2026-01-05T09:00:00+01:00)",
                file=name,
                line=nearest_line(located, path),
                path=dotted(path),
            )
        )
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _expectation(raw: Mapping[str, Any]) -> Expectation:
    configuration = raw.get("configuration")
    duties = raw.get("open_obligations")
    return Expectation(
        phase=raw.get("phase"),
        configuration=(configuration,)
        if isinstance(configuration, str)
        else _maybe_tuple(configuration),
        exact=isinstance(configuration, list),
        roles={role: _parties(holders) for role, holders in (raw.get("roles") or {}).items()},
        refused=raw.get("refused"),
        rule=raw.get("rule"),
        open_obligations=None if duties is None else _holder_sets(duties),
        informed=_holder_sets(raw.get("informed") or {}),
    )


def _maybe_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _parties(value: str | Sequence[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


# -- checking against a policy -----------------------------------------------------------------


def check_scenario(scenario: Scenario, policy: Policy) -> list[PolicyError]:
    """What in ``scenario`` the policy does not know: groups, parties, states, roles.

    Only the scenario's own claims are checked here; the ids inside commands are the
    engine's to judge, so a story may show that an ill-formed command is refused.
    """
    problems: list[PolicyError] = []

    def party(path: KeyPath, value: str) -> None:
        if value not in policy.parties:
            problems.append(scenario.error(path, f"unknown party {value!r}"))

    for index, member in enumerate(scenario.household):
        if member.group not in policy.member_groups:
            known = ", ".join(policy.member_groups) or "none declared"
            problems.append(
                scenario.error(
                    ("household", index, "group"),
                    f"unknown member group {member.group!r} (known: {known})",
                )
            )
    if scenario.opened_by is not None:
        party(("opened_by",), scenario.opened_by)
    for step in scenario.steps:
        _check_expectation(policy, scenario, step, problems, party)
    return problems


def _check_expectation(
    policy: Policy,
    scenario: Scenario,
    step: Step,
    problems: list[PolicyError],
    party: Callable[[KeyPath, str], None],
) -> None:
    """What one step's expectations name that the policy does not know, appended to
    ``problems``: the phase and states here, then the roles, obligations and parties
    (:func:`_check_expected_parties`)."""
    base: KeyPath = ("steps", step.index - 1, "expect")
    expect = step.expect
    if expect.phase is not None and (
        expect.phase not in policy.states or policy.states[expect.phase].parent is not None
    ):
        known = ", ".join(s.id for s in policy.states.values() if s.parent is None)
        problems.append(
            scenario.error((*base, "phase"), f"unknown phase {expect.phase!r} (known: {known})")
        )
    for state in expect.configuration or ():
        if state not in policy.states:
            problems.append(
                scenario.error(
                    (*base, "configuration"),
                    f"unknown state {state!r} (known: {', '.join(sorted(policy.states))})",
                )
            )
    _check_expected_parties(policy, scenario, base, expect, problems, party)


def _check_expected_parties(
    policy: Policy,
    scenario: Scenario,
    base: KeyPath,
    expect: Expectation,
    problems: list[PolicyError],
    party: Callable[[KeyPath, str], None],
) -> None:
    """The roles, obligations and parties one step's expectations name, each problem at
    the path under ``base`` that names it."""
    for role, holders in expect.roles.items():
        if role not in policy.roles:
            known = ", ".join(policy.roles)
            problems.append(
                scenario.error((*base, "roles", role), f"unknown role {role!r} (known: {known})")
            )
        for holder in sorted(holders):
            party((*base, "roles", role), holder)
    for duty, recipients in (expect.open_obligations or {}).items():
        if duty not in policy.obligations:
            known = ", ".join(policy.obligations) or "none declared"
            problems.append(
                scenario.error(
                    (*base, "open_obligations", duty),
                    f"unknown obligation {duty!r} (known: {known})",
                )
            )
        for recipient in sorted(recipients):
            party((*base, "open_obligations", duty), recipient)
    for recipient, senders in expect.informed.items():
        party((*base, "informed", recipient), recipient)
        for sender in sorted(senders):
            party((*base, "informed", recipient), sender)


# -- playing ---------------------------------------------------------------------------------


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
            return f"{name}: passed ({len(self.steps)} steps)"
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


def scenario_policy(
    scenario: Scenario,
    policy: Policy | str | Path | None = None,
    *,
    limits: Limits | None = None,
    search_path: SearchPath = (),
) -> Policy:
    """The policy to play ``scenario`` against: the one given, else the one it names."""
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy, limits=limits, search_path=search_path)
    if scenario.policy_problem is not None:
        raise scenario.policy_problem
    if scenario.policy is None:
        raise scenario.error(
            (), "the scenario names no policy: add policy: (a path from this file) or give one"
        )
    return load_policy(scenario.policy, limits=limits, search_path=search_path)


def validate_scenario(
    path: str | Path,
    policy: Policy | str | Path | None = None,
    *,
    limits: Limits | None = None,
    search_path: SearchPath = (),
) -> tuple[Scenario, Policy]:
    """Load the scenario at ``path`` and check it against its policy (or ``policy``).

    ``limits`` and ``search_path`` apply to both files (see :func:`load_scenario`).
    Raises :class:`PolicyError` naming file, line and path for anything wrong in
    either file; returns both when they fit together.
    """
    scenario = load_scenario(path, limits=limits, search_path=search_path)
    resolved = scenario_policy(scenario, policy, limits=limits, search_path=search_path)
    problems = check_scenario(scenario, resolved)
    if problems:
        raise PolicyErrors(problems)
    return scenario, resolved


def play(scenario: Scenario, policy: Policy | str | Path | None = None) -> ScenarioResult:
    """Play ``scenario`` on a fresh case and compare every step with its expectations.

    ``policy`` overrides the policy the scenario names. Times come from a step clock
    starting at the scenario's ``start`` (one hour per event, or a step's ``at``), so a
    run is reproducible. Raises :class:`PolicyError` when the scenario does not fit the
    policy; a refused step is a result, not an error.
    """
    resolved = scenario_policy(scenario, policy)
    problems = check_scenario(scenario, resolved)
    if problems:
        raise PolicyErrors(problems)
    clock = StepClock(scenario.start) if scenario.start is not None else StepClock()
    try:
        case = Case.create(
            resolved,
            scenario.case_id,
            actor=scenario.opener,
            members=scenario.household,
            clock=clock,
        )
    except CommandRefused as refused:
        where: KeyPath = ("opened_by",) if scenario.opened_by else ("household",)
        raise scenario.error(where, f"the case cannot be opened: {refused}") from None
    opening = _result(case, 0, case.events[0].command, case.events[0], None, None)
    results = []
    for step in scenario.steps:
        if step.at is not None:
            clock.set(step.at)
        event: Event | None = None
        refusal: CommandRefused | None = None
        try:
            event = case.apply(step.command)
        except CommandRefused as error:
            refusal = error
        result = _result(case, step.index, step.command, event, refusal, step.line)
        results.append(attrs.evolve(result, failures=step.expect.failures(result)))
    return ScenarioResult(scenario=scenario, policy=resolved, opening=opening, steps=tuple(results))


def _result(
    case: Case,
    index: int,
    command: Command,
    event: Event | None,
    refusal: CommandRefused | None,
    line: int | None,
) -> StepResult:
    return StepResult(
        index=index,
        command=command,
        event=event,
        refusal=refusal,
        configuration=case.configuration,
        phase=case.phase,
        roles=dict(case.roles),
        open_obligations=case.open_obligations,
        line=line,
    )


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
