"""Which kind of file a command was given, told before the reader of that kind is loaded.

``validate`` and ``run`` take cards and scenarios side by side. Asking the scenario
reader would load the runtime (a scenario's steps are commands), which a command that
only checks a card must not pay for; so the first look at a file is taken here, with
the card layer's bounded YAML reader alone.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from regiekaart.errors import PolicyError

__all__ = ["is_scenario"]


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
