"""Which kind of file a command was given, told before the reader of that kind is loaded.

``validate`` and ``run`` take cards and scenarios side by side. Asking the scenario
reader would load the runtime (a scenario's steps are commands), which a command that
only checks a card must not pay for; so the first look at a file is taken here, with
the card layer's bounded YAML reader alone.

Each kind of file says what it is in a top-level key (``regiekaart:`` a card, ``steps:``
a scenario, ``simulation:`` a population scenario). A file given to a command that does
not take its kind is named for what it is, with the commands that do take it
(:func:`wrong_kind`), instead of being read as the wrong kind and reported with that
kind's errors.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from regiekaart.errors import PolicyError

__all__ = ["KINDS", "explained", "is_scenario", "kind_of", "wrong_kind"]

KINDS: dict[str, tuple[str, str]] = {
    "regiekaart": ("card", "validate, show, render, verify, diff and run POLICY take it"),
    "simulation": ("simulation file", "regiekaart simulate takes it"),
    "steps": ("scenario", "validate, run and render-timeline take it"),
}
"""The top-level key of each kind of file → the kind's name and the commands that take it,
in the order a file with more than one of the keys is judged by."""


def is_scenario(path: Path) -> bool:
    """Whether the YAML file at ``path`` is a scenario (it has ``steps:``), not a card.

    Most files say it in their top-level keys, which a look at the first lines finds
    without parsing the file twice (the reader of its kind parses it once more); a file
    whose keys are not written at the start of a line is parsed to tell. A file that
    cannot be read is not a scenario; loading it as a card reports why.
    """
    head = _head(path)
    if head is None:
        return False
    keys = set(_TOP_KEY.findall(head))
    if "regiekaart" in keys:
        return False
    if "steps" in keys:
        return True
    from regiekaart.policy.sourcemap import load_yaml

    try:
        data, _ = load_yaml(path, kind="scenario", strict=False)
    except PolicyError:
        return False
    return isinstance(data, dict) and "steps" in data and "regiekaart" not in data


_TOP_KEY = re.compile(r"^(steps|regiekaart)[ \t]*:", re.MULTILINE)
_KIND_KEY = re.compile(r"^(" + "|".join(KINDS) + r")[ \t]*:", re.MULTILINE)


def kind_of(path: Path) -> str | None:
    """The key of :data:`KINDS` the file's top level starts a line with, or None when it
    has none of them in its first 64 kB (or cannot be read)."""
    head = _head(path)
    found = set(_KIND_KEY.findall(head or ""))
    return next((key for key in KINDS if key in found), None)


def explained(path: Path, error: PolicyError, *wanted: str) -> PolicyError | str:
    """``error``, or the line :func:`wrong_kind` says when the reader refused the file only
    for lacking its kind's key. A file the reader could not even read (an alias bomb, a
    NUL byte) keeps that refusal: it is the one to fix, whatever the file is meant to be."""
    if not error.message.startswith("not a regiekaart "):
        return error
    misplaced = wrong_kind(path, *wanted)
    return f"{path}: {misplaced}" if misplaced else error


def wrong_kind(path: Path, *wanted: str) -> str | None:
    """One line saying what the file is and which commands take it, when it is a known
    kind other than the ``wanted`` keys; None otherwise (the reader reports the rest)."""
    key = kind_of(path)
    if key is None or key in wanted:
        return None
    name, takers = KINDS[key]
    asked = " or ".join(KINDS[w][0] for w in wanted)
    return f"a {name} ({key}: at the top), not a {asked}; {takers}"


def _head(path: Path) -> str | None:
    """The first 64 kB of the file as text, or None when it is not a regular file (a FIFO
    would wait for a writer) or cannot be read."""
    from regiekaart.limits import read_at_most

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as stream:
            return read_at_most(stream, 65536).decode("utf-8", "replace")
    except OSError:
        return None
