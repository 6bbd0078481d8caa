"""Reading scenario files and checking them against the policy they are told on.

Scenario files are read with the same machinery as policies: every problem names the
file, the line and the path, and a malformed command is such a problem, never a
traceback. The format is described by ``scenario/scenario.schema.json`` and in
``docs/policy-format.md``.

May import: ``regiekaart.analysis``, ``regiekaart.runtime``, ``regiekaart.policy`` and
the foundation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from regiekaart.errors import (
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
    load_yaml,
    nearest_line,
    schema_errors,
)
from regiekaart.runtime.commands import Member
from regiekaart.scenario._expect import check_claims
from regiekaart.scenario._steps import read_step, read_when
from regiekaart.scenario.model import STEP_COMMANDS, STEP_KEYS, Expectation, Scenario, Step

__all__ = [
    "check_scenario",
    "is_scenario_file",
    "load_scenario",
    "scenario_policy",
    "scenario_schema",
    "validate_scenario",
]


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema every scenario document must satisfy."""
    source = resources.files("regiekaart.scenario").joinpath("scenario.schema.json")
    text = source.read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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
            steps.append(read_step(index, raw, located, name))
        except PolicyError as exc:
            problems.append(exc)
    start = None
    if "start" not in broken and isinstance(data.get("start"), str):
        start = read_when(data["start"], ("start",), located, name, problems)
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
    problems.extend(
        check_claims(
            policy,
            base,
            expect.claims,
            expect.facts,
            expect.measures,
            expect.dominance,
            scenario.error,
            party,
        )
    )


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
