"""Where a file may point: the directories a card named by ``extends:`` or ``policy:`` may
come from.

A card or scenario is often written by someone other than the person who runs it, so
the files it names must not be a way to read the rest of the machine: ``policy:
/etc/shadow`` or ``extends: ../../home/x/.ssh/id.yaml`` would otherwise be opened and,
on a parse error, shown. A reference is therefore followed only to a card file inside

1. the directory tree of the file that names it,
2. a directory on the search path: ``--path DIR`` on the command line (the
   ``search_path=`` argument of the loaders) and ``REGIEKAART_PATH``
   (``os.pathsep``-separated),
3. the ``machines/`` directory shipped next to the package's ``src/``.

The target is resolved first (symlinks followed), then checked, so a symlink that leads
out of these directories is refused too; a refused target is never opened.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from regiekaart.errors import InputRefused

__all__ = [
    "CARD_SUFFIXES",
    "PATH_ENV",
    "SearchPath",
    "card_file",
    "find_card",
    "search_roots",
    "shipped_machines",
]

PATH_ENV = "REGIEKAART_PATH"
"""Directories cards may be read from, besides the naming file's own and ``machines/``."""

CARD_SUFFIXES = (".yaml", ".yml")

SearchPath = Sequence[str | Path]


def shipped_machines() -> Path | None:
    """The repository's ``machines/`` directory next to ``src/``, if this is such a tree.

    A wheel installed into site-packages ships no cards, so there is none then.
    """
    candidate = Path(__file__).resolve().parents[3] / "machines"
    return candidate if candidate.is_dir() else None


def search_roots(search_path: SearchPath = ()) -> tuple[Path, ...]:
    """The search path as resolved directories: explicit ones, then ``REGIEKAART_PATH``,
    then the shipped ``machines/``. Empty entries are skipped (``a::b`` in the variable)."""
    entries: list[str | Path] = list(search_path)
    entries += [part for part in os.environ.get(PATH_ENV, "").split(os.pathsep) if part]
    roots = [Path(entry).expanduser().resolve() for entry in entries if str(entry)]
    machines = shipped_machines()
    if machines is not None:
        roots.append(machines)
    return tuple(dict.fromkeys(roots))


def card_file(ref: str) -> str:
    """A reference as a file name: a path ending in ``.yaml``/``.yml``, else ``ID.yaml``."""
    return ref if ref.endswith(CARD_SUFFIXES) else f"{ref}.yaml"


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def find_card(
    naming_file: Path,
    ref: str,
    *,
    key: str,
    line: int | None,
    search_path: SearchPath = (),
) -> Path:
    """The card file ``ref`` names from ``naming_file`` (its ``key``: extends or policy).

    A relative reference is looked up next to the naming file first, then in each
    directory of the search path. Raises :class:`~regiekaart.errors.InputRefused` at
    ``naming_file:line`` when the target lies outside the allowed directories or does
    not exist. A file in the root directory has no tree of its own.
    """
    name = card_file(ref)
    own = naming_file.parent.resolve()
    searched = search_roots(search_path)
    # A file at the top of the file system would otherwise make the whole machine its tree.
    roots = (*(() if own == Path(own.anchor) else (own,)), *searched)
    bases = (naming_file.parent, *searched)
    candidates = [Path(name)] if Path(name).is_absolute() else [base / name for base in bases]
    outside: list[Path] = []
    looked: list[Path] = []
    for candidate in candidates:
        target = candidate.resolve()
        if not _inside(target, roots):
            outside.append(target)
            continue
        if target.exists():
            return target
        looked.append(target)
    # Refused when the file it names next to itself (or by an absolute path) leads out,
    # a symlink included: "no such file" would hide why a file that is there is not used.
    first_outside = bool(outside) and outside[0] == candidates[0].resolve()
    where = str(naming_file)
    if first_outside or (outside and not looked):
        allowed = ", ".join(str(root) for root in roots)
        raise InputRefused(
            f"{ref!r} lies outside the directories cards are read from ({allowed}); "
            f"add its directory with --path DIR or {PATH_ENV} if it is a card you trust",
            file=where,
            line=line,
            path=key,
        )
    tried = ", ".join(str(p) for p in looked)
    raise InputRefused(
        f"{ref!r}: no such policy file (looked for {tried})",
        file=where,
        line=line,
        path=key,
    )
