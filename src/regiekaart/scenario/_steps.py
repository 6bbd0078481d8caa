"""One step of a scenario file read into a :class:`~regiekaart.scenario.model.Step`.

A malformed step is a :class:`~regiekaart.errors.PolicyError` at its line and path,
never a traceback; the reader collects these with the schema's problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from regiekaart.errors import PolicyError
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, nearest_line
from regiekaart.runtime.commands import structure_command
from regiekaart.scenario._expect import HolderClaim
from regiekaart.scenario.model import STEP_COMMANDS, Expectation, Step

_LIST_FIELDS = ("together", "criteria")


def _holder_sets(value: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(parties) for key, parties in value.items()}


def read_step(index: int, raw: dict[str, Any], located: Located, name: str) -> Step:
    """The step at ``index`` (0-based) of the file: its one command, ``at`` and ``expect``."""
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
    at = read_when(raw.get("at"), (*path, "at"), located, name, problems)
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


def read_when(
    value: str | None, path: KeyPath, located: Located, name: str, problems: list[PolicyError]
) -> datetime | None:
    """The moment ``value`` names (UTC when it names no zone); a problem appended if none."""
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
    roles = raw.get("roles") or {}
    measures = raw.get("measures")
    return Expectation(
        phase=raw.get("phase"),
        configuration=(configuration,)
        if isinstance(configuration, str)
        else _maybe_tuple(configuration),
        exact=isinstance(configuration, list),
        roles={
            role: _parties(holders)
            for role, holders in roles.items()
            if not isinstance(holders, Mapping)
        },
        claims={
            role: HolderClaim.read(claim)
            for role, claim in roles.items()
            if isinstance(claim, Mapping)
        },
        facts={str(fact): bool(value) for fact, value in (raw.get("facts") or {}).items()},
        measures=None if measures is None else frozenset(_parties(measures)),
        dominance=(raw["dominance"],) if "dominance" in raw else None,
        recorded=tuple(sorted(_parties(raw.get("recorded")))),
        not_recorded=tuple(sorted(_parties(raw.get("not_recorded")))),
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
