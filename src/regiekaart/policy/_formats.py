"""The versions of the card format, and the upgrade of older spellings to the current ones.

A card says which version of the format it is written in (``regiekaart: 1``). The engine
reads every version it knows: the merged document is rewritten in the current version
before the schema sees it, so the schema, the model and everything above describe one
format only. A rewrite changes spellings, never meaning: a version-1 card and its
rewritten form give the same policy.

Two rules keep that honest:

- A card that says it is written in the current version may not use an older spelling
  (each file of an ``extends:`` chain is checked against its own version): a version
  number is a promise about every key of its file.
- The digest is taken of the card as written, not of its rewrite, and the rewrite finds
  older spellings wherever they are: so a card a store kept in an older format — or a
  merged card whose parent is older than its child — is read back as the card it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from regiekaart.errors import PolicyError, PolicyErrors
from regiekaart.policy._timing import timed_keys
from regiekaart.policy.sourcemap import KeyPath, Located, dotted

CURRENT = 2
"""The version of the format the schema describes and ``regiekaart schema`` prints."""

READABLE = (1, 2)
"""Every version the engine reads."""


@attrs.frozen
class Respelling:
    """One thing an older version spells differently, and how to write it now."""

    until: int
    """The last version that spells it so."""
    find: Callable[[dict[str, Any]], Iterator[tuple[KeyPath, str]]]
    """Where a document uses the old spelling, each with how to write it now."""
    rewrite: Callable[[dict[str, Any], Located], None]
    """Rewrites every use in place; moves the lines of what it moves along in the located
    map, so an error still points at the line the value was written on."""


def _unlimited_roles(document: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Version 1 wrote "no limit on a role's holders" as ``max_holders: 0``."""
    roles = document.get("roles")
    for role, raw in roles.items() if isinstance(roles, dict) else ():
        limit = raw.get("max_holders") if isinstance(raw, dict) else None
        if type(limit) is int and limit == 0:
            yield (
                ("roles", role, "max_holders"),
                "leave max_holders out for no limit (it is a number of holders, at least 1)",
            )


def _drop_unlimited(document: dict[str, Any], located: Located) -> None:
    for path, _ in list(_unlimited_roles(document)):
        del document["roles"][path[1]]["max_holders"]


def _criteria_modes(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Each transition that says ``criteria_mode``, with the mode it says."""
    transitions = document.get("transitions")
    for rid, rule in (transitions if isinstance(transitions, dict) else {}).items():
        if isinstance(rule, dict) and rule.get("criteria_mode") is not None:
            yield str(rid), rule, str(rule["criteria_mode"])


_CRITERIA_MODE_NOW = {
    "all": "write criteria: {all: [...]} and leave out criteria_mode",
    "any": "a list of criteria is any one of them: leave out criteria_mode",
    "none": "a rule that names no criteria needs none and accepts any: leave out "
    "criteria_mode and criteria",
}


def _find_criteria_mode(document: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    for rid, _, mode in _criteria_modes(document):
        now = _CRITERIA_MODE_NOW.get(mode, "write the criteria as an expression")
        yield ("transitions", rid, "criteria_mode"), f"criteria_mode is gone; {now}"


def _rewrite_criteria_mode(document: dict[str, Any], located: Located) -> None:
    """``criteria_mode: all`` with a list becomes ``{all: [...]}``, ``any`` the list
    itself, ``none`` no criteria at all (version 1 neither required nor limited the
    criteria of such a rule). A rule whose criteria are an expression already (a
    current card over an older parent) keeps it. An empty list under ``all`` or ``any``
    stays an error, as it was."""
    for rid, rule, mode in list(_criteria_modes(document)):
        if mode not in _CRITERIA_MODE_NOW:
            continue  # not a version-1 spelling either: the schema refuses it
        del rule["criteria_mode"]
        written = rule.get("criteria")
        if isinstance(written, dict):
            continue
        if mode == "none":
            rule.pop("criteria", None)
        elif mode == "all" or not written:
            rule["criteria"] = {mode: written or []}
            path = ("transitions", rid, "criteria")
            moved(located, path, (*path, mode))


RESPELLINGS: tuple[Respelling, ...] = (
    Respelling(until=1, find=_unlimited_roles, rewrite=_drop_unlimited),
    Respelling(until=1, find=_find_criteria_mode, rewrite=_rewrite_criteria_mode),
)
"""Every spelling of an older version, oldest first."""


@attrs.frozen
class Novelty:
    """Something a newer version may write that an older one cannot say."""

    since: int
    """The first version that may write it."""
    find: Callable[[dict[str, Any]], Iterator[tuple[KeyPath, str]]]
    """Where a document uses it, each with what it is."""


def _mappings(value: Any, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The entries of ``value[key]`` that are mappings (the file is not validated yet)."""
    inner = value.get(key) if isinstance(value, dict) else None
    for name, entry in inner.items() if isinstance(inner, dict) else ():
        if isinstance(entry, dict):
            yield str(name), entry


def _nested_substates(document: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Version 1 gave a phase one level of sub-states; a sub-state had none of its own."""
    for phase, raw in _mappings(document, "phases"):
        for child, state in _mappings(raw.get("substates"), "states"):
            if state.get("substates") is not None:
                path = ("phases", phase, "substates", "states", child, "substates")
                yield path, "sub-states of a sub-state"


def _time_limits(document: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """Version 1 had no time: no measure's term, state's longest stay or deadline."""
    for path in timed_keys(document):
        yield path, "time limits (duration, deadline)"


NOVELTIES: tuple[Novelty, ...] = (
    Novelty(since=2, find=_nested_substates),
    Novelty(since=2, find=_time_limits),
)
"""What each version added that an older version's file may not use."""


def version_of(document: dict[str, Any], located: Located, name: str) -> int:
    """The format version a document declares, or a located error naming the ones read."""
    declared = document.get("regiekaart")
    if isinstance(declared, bool) or declared not in READABLE:
        known = ", ".join(str(v) for v in READABLE)
        file, line = located.get(("regiekaart",), (name, 0))
        raise PolicyError(
            f"unknown format version {declared!r} (this engine reads regiekaart: {known})",
            file=file or name,
            line=line or None,
            path="regiekaart",
        )
    return int(declared)


def check_spelling(document: dict[str, Any], located: Located, name: str) -> None:
    """Refuse, with file and line, an older spelling in a file that declares a newer
    version, and what a newer version added in a file that declares an older one; any
    readable version is fine otherwise."""
    version = version_of(document, located, name)
    found: list[tuple[KeyPath, str]] = [
        (
            path,
            f"written as in version {respelling.until} of the format, but the card says "
            f"regiekaart: {version}; {now}",
        )
        for respelling in RESPELLINGS
        if respelling.until < version
        for path, now in respelling.find(document)
    ]
    found += [
        (
            path,
            f"{what} need regiekaart: {novelty.since} or later, but the card says "
            f"regiekaart: {version}; write regiekaart: {CURRENT} at the top of the file",
        )
        for novelty in NOVELTIES
        if novelty.since > version
        for path, what in novelty.find(document)
    ]
    problems = []
    for path, message in found:
        file, line = located.get(path, (name, 0))
        problems.append(
            PolicyError(message, file=file or name, line=line or None, path=dotted(path))
        )
    if problems:
        raise problems[0] if len(problems) == 1 else PolicyErrors(problems)


def upgrade(
    document: dict[str, Any], located: Located, name: str
) -> tuple[dict[str, Any], Located]:
    """``document`` (a merged card) rewritten in the current version, with its lines.

    The input is left as it is: it is the card as written, which the digest is taken of.
    """
    version_of(document, located, name)
    current, lines = copy.deepcopy(document), dict(located)
    for respelling in RESPELLINGS:
        respelling.rewrite(current, lines)
    current["regiekaart"] = CURRENT
    return current, lines


def moved(located: Located, old: KeyPath, new: KeyPath) -> None:
    """Let every line recorded under ``old`` (and below it) be found under ``new``."""
    for path, where in list(located.items()):
        if path[: len(old)] == old:
            located[(*new, *path[len(old) :])] = where
