"""YAML reading that remembers where every value came from.

A policy officer who mistypes a party name must be told the file and the line, not
shown a traceback; PyYAML's plain ``safe_load`` forgets positions, so documents are
composed into nodes here and turned into plain data with a map from each key path to
``(file, line)``. Only safe scalar construction is used: no document can build Python
objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from regiekaart.errors import InputRefused, PolicyError, PolicyErrors
from regiekaart.limits import Limits, decode_text, exceeded, read_bounded, resolve

Located = dict[tuple[str | int, ...], tuple[str, int]]

KeyPath = tuple[str | int, ...]


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


def _line_of(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


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
        loader = _loader(text, bounds, name)
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


class _Counting(yaml.composer.Composer):
    """Composition that counts as it goes: aliases, nesting depth, and the nodes the
    document would have with every alias expanded.

    An alias bomb is a few hundred bytes whose aliases expand to billions of nodes; the
    expansion is only walked later, so the count is kept per anchor as the document is
    composed and the bomb is refused after reading it, before any expansion. An alias
    to an anchor still being composed (``&a [*a]``) makes a cycle, which no card needs.
    """

    if TYPE_CHECKING:

        def peek_event(self) -> yaml.Event:
            """The next parser event (from the pure-Python parser or libyaml's)."""

    def _start_counting(self, limits: Limits, name: str) -> None:
        self._limits = limits
        self._name = name
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._weights: dict[str, int] = {}
        self._open: set[str] = set()

    def compose_document(self) -> yaml.Node | None:
        """One document: the counts start again (a stream has one document here)."""
        self._aliases = self._nodes = 0
        self._weights.clear()
        node: yaml.Node | None = super().compose_document()
        return node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting it (or, for an alias, what it expands to)."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, parent, index)
        line = _line_of(event)
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise self._limit("nested too deeply", "max_depth", line)
        before = self._nodes
        self._count(1, line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            node: yaml.Node | None = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)
        if anchor is not None:
            self._weights[anchor] = self._nodes - before
        return node

    def _alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: Any
    ) -> yaml.Node | None:
        line = _line_of(event)
        self._aliases += 1
        if self._aliases > self._limits.max_yaml_aliases:
            raise self._limit("too many aliases", "max_yaml_aliases", line)
        if event.anchor in self._open:
            raise InputRefused(
                "a recursive alias: it refers to the node that contains it",
                file=self._name,
                line=line,
            )
        self._count(self._weights.get(str(event.anchor), 1), line)
        node: yaml.Node | None = super().compose_node(parent, index)
        return node

    def _count(self, nodes: int, line: int) -> None:
        self._nodes += nodes
        if self._nodes > self._limits.max_yaml_nodes:
            raise self._limit(
                "too many values once its aliases are expanded", "max_yaml_nodes", line
            )

    def _limit(self, what: str, field: str, line: int) -> PolicyError:
        return exceeded(what, field, getattr(self._limits, field), file=self._name, line=line)


class _BoundedLoader(_Counting, _SafeLoader):
    """The pure-Python safe loader, counting while it composes."""

    def __init__(self, text: str, limits: Limits, name: str) -> None:
        _SafeLoader.__init__(self, text)
        self._start_counting(limits, name)


def _loader(text: str, limits: Limits, name: str) -> _Counting:
    """The fastest counting loader there is: libyaml's parser under the same composer
    when PyYAML was built with it (about three times faster, so a file at its bounds is
    refused sooner), else the pure-Python one."""
    if _FastBoundedLoader is not None:
        fast: _Counting = _FastBoundedLoader(text, limits, name)
        return fast
    return _BoundedLoader(text, limits, name)


try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _FastBoundedLoader: Any = None
else:

    class _FastBoundedLoader(  # type: ignore[no-redef]
        _Counting, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
    ):
        """libyaml's events, composed in Python so that the counting applies."""

        yaml_implicit_resolvers = _SafeLoader.yaml_implicit_resolvers
        get_single_node = yaml.composer.Composer.get_single_node
        get_node = yaml.composer.Composer.get_node
        check_node = yaml.composer.Composer.check_node

        def __init__(self, text: str, limits: Limits, name: str) -> None:
            CParser.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_counting(limits, name)


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
