"""YAML reading that remembers where every value came from.

A policy officer who mistypes a party name must be told the file and the line, not
shown a traceback; PyYAML's plain ``safe_load`` forgets positions, so documents are
composed into nodes here and turned into plain data with a map from each key path to
``(file, line)``. Only safe scalar construction is used: no document can build Python
objects, and the composing is bounded (see :mod:`regiekaart.policy._bounded`). The one
way to find the nearest line of a key path (:func:`enclosing`) and the one way to turn
JSON Schema errors into located errors (:func:`schema_errors`) live here, for every kind
of file that is read: cards, scenarios, simulations.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from regiekaart.errors import InputRefused, PolicyError, PolicyErrors
from regiekaart.limits import Limits, decode_text, exceeded, read_bounded, resolve
from regiekaart.policy._bounded import bounded_loader

__all__ = [
    "KINDS",
    "KeyPath",
    "Located",
    "SchemaMessage",
    "dotted",
    "enclosing",
    "load_yaml",
    "load_yaml_text",
    "locate",
    "nearest",
    "nearest_line",
    "schema_errors",
]

Located = dict[tuple[str | int, ...], tuple[str, int]]

KeyPath = tuple[str | int, ...]


def dotted(path: tuple[str | int, ...]) -> str:
    """``('phases', 'p', 'roles')`` → ``phases.p.roles``; list items as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def enclosing(path: KeyPath, known: Callable[[KeyPath], bool]) -> KeyPath:
    """``path`` itself if ``known``, else its nearest enclosing path that is (at the
    least the empty path): a value can be wrong where no key of its own was written, as
    a missing key or an item the reader built, and is then placed at what holds it."""
    while path and not known(path):
        path = path[:-1]
    return path


def nearest(located: Located, path: KeyPath) -> tuple[str, int] | None:
    """The file and line of ``path``, or of the nearest path enclosing it that was read
    from a file; None when not even the document was."""
    return located.get(enclosing(path, located.__contains__))


def nearest_line(located: Located, path: KeyPath) -> int | None:
    """The line of :func:`nearest`, for a file whose name is known already."""
    where = nearest(located, path)
    return where[1] if where is not None else None


def locate(sources: Mapping[str, str], path: str) -> tuple[str | None, int | None]:
    """``file`` and ``line`` of a dotted path in a policy's source map
    (:attr:`~regiekaart.policy.model.Policy.sources`), or of the nearest path enclosing it."""

    def written(parts: KeyPath) -> str:
        return sources.get(".".join(map(str, parts))) or ""

    where = written(enclosing(tuple(path.split(".")), lambda parts: bool(written(parts))))
    if not where:
        return None, None
    file, _, line = where.rpartition(":")
    return file, int(line)


SchemaMessage = Callable[[jsonschema.ValidationError, KeyPath], str]
"""The text of one schema error at its path: each kind of file words its own."""


def schema_errors(
    validator: jsonschema.Draft202012Validator,
    document: Any,
    located: Located,
    message: SchemaMessage,
    *,
    file: str | None = None,
    leaves: Callable[[jsonschema.ValidationError], Iterable[jsonschema.ValidationError]]
    | None = None,
    place: Callable[[jsonschema.ValidationError], KeyPath] | None = None,
) -> list[PolicyError]:
    """Every error ``validator`` finds in ``document`` as a :class:`PolicyError` at its
    line, in the order of their paths, so a file's problems read top to bottom whatever
    order the schema was checked in.

    ``file`` names the file; without it, each error names the file its path was read
    from (a card and the cards it extends). ``leaves`` replaces an error by the more
    specific ones inside it; ``place`` is the path to report (by default the error's).
    """
    found: Iterable[jsonschema.ValidationError] = validator.iter_errors(document)
    if leaves is not None:
        found = [leaf for error in found for leaf in leaves(error)]
    problems = []
    for error in sorted(found, key=lambda e: [str(p) for p in e.absolute_path]):
        path: KeyPath = place(error) if place is not None else tuple(error.absolute_path)
        where = nearest(located, path)
        line = where[1] if where is not None else None
        named = file if file is not None else (where[0] if where is not None else None)
        problems.append(PolicyError(message(error, path), file=named, line=line, path=dotted(path)))
    return problems


KINDS: dict[str, tuple[str, str, str]] = {
    "card": ("max_card_bytes", "regiekaart", "card"),
    "scenario": ("max_scenario_bytes", "steps", "scenario"),
    "simulation": ("max_simulation_bytes", "simulation", "simulation file"),
}
"""Kind of file → (its size limit, the top-level key every such file has, its name)."""


def load_yaml(
    path: Path, *, kind: str = "card", limits: Limits | None = None, strict: bool = True
) -> tuple[Any, Located]:
    """Read one YAML file of ``kind`` (card, scenario, simulation) into plain data and the
    locations of every key path, within the :class:`~regiekaart.limits.Limits`.

    A file that is clearly not of that kind (its top level lacks the kind's key, such as
    ``regiekaart:`` for a card) is refused without quoting any of it, since it may be
    any file on the machine. Not ``strict``: neither that nor duplicate keys are checked,
    for a first look at what kind of file it is.
    """
    bounds = resolve(limits)
    field = KINDS[kind][0]
    name = str(path)
    text = decode_text(read_bounded(path, field, bounds), file=name)
    return load_yaml_text(text, name, kind=kind if strict else None, limits=bounds, strict=strict)


def load_yaml_text(
    text: str,
    name: str,
    *,
    kind: str | None = None,
    limits: Limits | None = None,
    strict: bool = True,
) -> tuple[Any, Located]:
    """Parse YAML text; a syntax error becomes a :class:`PolicyError` with its line.

    With ``kind``, a document without that kind's top-level key is "not a regiekaart
    …", and duplicate keys are only named (with the key) once the file is known to be one.
    """
    bounds = resolve(limits)
    duplicates: list[PolicyError] = []
    loader: Any = None
    try:
        loader = bounded_loader(text, bounds, name)
        node = loader.get_single_node()
        if node is None:
            raise PolicyError("the document is empty", file=name, line=1)
        located: Located = {}
        data = _convert(loader, node, (), located, name, duplicates)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, name, bounds) from None
    except yaml.reader.ReaderError as exc:
        # The first such character is the one refused; libyaml counts bytes, not characters.
        found = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        line = text.count("\n", 0, found if found >= 0 else exc.position) + 1
        raise InputRefused(
            f"line {line}: a character YAML does not allow (#x{exc.character:04x}); "
            "is this a text file?",
            file=name,
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error ({type(exc).__name__})", file=name) from None
    except RecursionError:
        raise exceeded(
            "nested too deeply to read", "max_depth", bounds.max_depth, file=name
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if kind is not None:
        _check_kind(data, kind, name)
    if duplicates and strict:
        raise duplicates[0] if len(duplicates) == 1 else PolicyErrors(duplicates)
    return data, located


def _check_kind(data: Any, kind: str, name: str) -> None:
    marker, what = KINDS[kind][1:]
    if not isinstance(data, dict):
        raise InputRefused(
            f"not a regiekaart {what}: its top level is not a mapping of keys", file=name, line=1
        )
    if marker not in data:
        raise InputRefused(
            f"not a regiekaart {what}: it has no `{marker}:` key at the top", file=name, line=1
        )


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _syntax_error(exc: yaml.MarkedYAMLError, name: str, limits: Limits) -> PolicyError:
    """Line, column and problem, never the snippet of the line PyYAML would show: the
    file may be one that is not a card at all, and its content is nobody's business."""
    mark = exc.problem_mark or exc.context_mark
    if "maximum nesting depth" in str(exc.problem):
        # libyaml's own bound (1,000 flow levels), hit while it reads ahead.
        line = mark.line + 1 if mark is not None else None
        return exceeded("nested too deeply", "max_depth", limits.max_depth, file=name, line=line)
    problem = _unquoted(exc.problem or "the document cannot be read")
    if exc.context:
        problem = f"{_unquoted(exc.context)}, {problem}"
    if mark is None:
        return PolicyError(f"YAML syntax error: {problem}", file=name)
    line = mark.line + 1
    return PolicyError(
        f"YAML syntax error: line {line}, column {mark.column + 1}: {problem}",
        file=name,
        line=line,
    )


def _unquoted(problem: str) -> str:
    """A parser message without the names it quotes from the file (an alias, a tag): a
    single character or a token kind such as ``'<scalar>'`` stays, as it says what is
    wrong without revealing what the file holds."""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if len(inner) <= 1 or inner.startswith("<") else "(…)"

    return _QUOTED.sub(keep, problem)


def _convert(
    loader: Any,
    node: yaml.Node,
    path: tuple[str | int, ...],
    located: Located,
    name: str,
    duplicates: list[PolicyError],
) -> Any:
    """Plain data of ``node``; ``duplicates`` collects repeated keys (the first value is
    kept), which are reported only once the file is known to be of its kind."""
    located[path] = (name, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, name)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise PolicyError(
                    f"a key must be text, found {_kind_of(key)}",
                    file=name,
                    line=key_node.start_mark.line + 1,
                    path=dotted(path),
                )
            key = str(key)
            if key in out:
                duplicates.append(
                    PolicyError(
                        f"duplicate key {key!r}",
                        file=name,
                        line=key_node.start_mark.line + 1,
                        path=dotted((*path, key)),
                    )
                )
                continue
            out[key] = _convert(loader, value_node, (*path, key), located, name, duplicates)
            located[(*path, key)] = (name, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, index), located, name, duplicates)
            for index, item in enumerate(node.value)
        ]
    return _construct(loader, node, name)


def _construct(loader: Any, node: yaml.Node, name: str) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        # A timestamp such as 2024-13-45 matches YAML's pattern but is no date.
        raise PolicyError(
            f"a value cannot be read ({exc})", file=name, line=node.start_mark.line + 1
        ) from None


def _kind_of(value: Any) -> str:
    """What a value is, in words, without showing the value."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
