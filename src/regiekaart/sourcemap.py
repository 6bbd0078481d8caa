"""YAML reading that remembers where every value came from.

A policy officer who mistypes a party name must be told the file and the line, not
shown a traceback; PyYAML's plain ``safe_load`` forgets positions, so documents are
composed into nodes here and turned into plain data with a map from each key path to
``(file, line)``. Only safe scalar construction is used: no document can build Python
objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyError

Located = dict[tuple[str | int, ...], tuple[str, int]]


class _SafeLoader(yaml.SafeLoader):
    """A safe loader that reads only ``true``/``false`` as booleans.

    YAML 1.1 turns ``yes``, ``no``, ``on`` and ``off`` into booleans, which would
    silently mangle ids such as a criterion called ``no``.
    """


_SafeLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for (tag, regexp) in resolvers
        if not (tag == "tag:yaml.org,2002:bool" and first not in "tTfF")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def dotted(path: tuple[str | int, ...]) -> str:
    """``('phases', 'p', 'roles')`` → ``phases.p.roles``; list items as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def load_yaml(path: Path) -> tuple[Any, Located]:
    """Read one YAML file into plain data and the locations of every key path."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError("file not found", file=name) from None
    except OSError as exc:
        raise PolicyError(f"cannot read the file: {exc.strerror}", file=name) from None
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str) -> tuple[Any, Located]:
    """Parse YAML text; a syntax error becomes a :class:`PolicyError` with its line."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError("the document is empty", file=name, line=1)
        located: Located = {}
        data = _convert(loader, node, (), located, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}, {problem}"
        raise PolicyError(f"YAML syntax error: {problem}", file=name, line=line) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error: {exc}", file=name) from None
    finally:
        loader.dispose()
    return data, located


def _convert(
    loader: _SafeLoader,
    node: yaml.Node,
    path: tuple[str | int, ...],
    located: Located,
    name: str,
) -> Any:
    located[path] = (name, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise PolicyError(
                    f"a key must be text, found {key!r}",
                    file=name,
                    line=key_node.start_mark.line + 1,
                    path=dotted(path),
                )
            key = str(key)
            if key in out:
                raise PolicyError(
                    f"duplicate key {key!r}",
                    file=name,
                    line=key_node.start_mark.line + 1,
                    path=dotted((*path, key)),
                )
            out[key] = _convert(loader, value_node, (*path, key), located, name)
            located[(*path, key)] = (name, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, index), located, name)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
