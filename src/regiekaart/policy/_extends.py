"""``extends:``: a card read together with the cards it builds on, merged child over parent.

A local card overrides only what differs from the card it extends: mappings merge key
by key, a list replaces the list it overrides, and ``null`` removes a key. The line of
every merged value stays the line of the file it came from, so an error in an
inherited rule still points into the card that wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from regiekaart.errors import PolicyError
from regiekaart.limits import Limits
from regiekaart.policy._formats import check_spelling
from regiekaart.policy.roots import SearchPath, find_card
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, load_yaml


def resolve(
    path: Path, seen: tuple[Path, ...], limits: Limits, search_path: SearchPath
) -> tuple[dict[str, Any], Located, tuple[str, ...], tuple[str, ...]]:
    """Read ``path`` and, depth first, what it extends; merge child over parent.

    Every file in the chain must be a card (have ``regiekaart:``), so no other file's
    content reaches a schema message.
    """
    resolved = path.resolve()
    if resolved in seen:
        cycle = " → ".join(str(p) for p in (*seen, resolved))
        raise PolicyError(f"cycle in extends: {cycle}", file=str(path), path="extends")
    data, located = load_yaml(path, kind="card", limits=limits)
    check_spelling(data, located, str(path))
    parent_ref = data.get("extends")
    if parent_ref is None:
        return without_nulls(data), located, (), ()
    line = located.get(("extends",), (str(path), 0))[1]
    if not isinstance(parent_ref, str) or not parent_ref:
        raise PolicyError(
            "extends must name a policy file", file=str(path), line=line, path="extends"
        )
    parent_path = find_card(path, parent_ref, key="extends", line=line, search_path=search_path)
    if parent_path in (*seen, resolved):
        cycle = " → ".join(str(p) for p in (*seen, resolved, parent_path))
        raise PolicyError(f"cycle in extends: {cycle}", file=str(path), line=line, path="extends")
    base, base_located, base_chain, _ = resolve(parent_path, (*seen, resolved), limits, search_path)
    overrides: list[str] = []
    merged = merge(base, data, (), base_located, located, overrides)
    merged.pop("extends", None)
    base_id = str(base.get("id", parent_ref))
    return merged, base_located, (base_id, *base_chain), tuple(overrides)


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """A card that extends none, with its ``null`` entries gone: ``null`` removes what a
    card inherits, and in a card that inherits nothing it removes nothing. (Left in,
    the schema would accept ``parties: {x: null}`` and building the policy would fail.)
    Lists are kept as written."""
    return {
        key: without_nulls(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


def merge(
    base: dict[str, Any],
    child: dict[str, Any],
    prefix: KeyPath,
    base_located: Located,
    child_located: Located,
    overrides: list[str],
) -> dict[str, Any]:
    """Merge ``child`` over ``base``; ``base_located`` is updated to the merged result."""
    merged = dict(base)
    for key, value in child.items():
        path = (*prefix, key)
        if key == "extends" and not prefix:
            continue
        if value is None:
            merged.pop(key, None)
            overrides.append(dotted(path))
            for known in [p for p in base_located if p[: len(path)] == path]:
                del base_located[known]
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            base_located[path] = child_located[path]
            merged[key] = merge(merged[key], value, path, base_located, child_located, overrides)
            continue
        if prefix or key not in ("regiekaart", "id", "title", "version", "description", "source"):
            overrides.append(dotted(path))
        merged[key] = value
        for known in [p for p in base_located if p[: len(path)] == path]:
            del base_located[known]
        for known, where in child_located.items():
            if known[: len(path)] == path:
                base_located[known] = where
    return merged
