"""Composing YAML within bounds: aliases, nesting and expanded size are counted as read.

An alias bomb is a few hundred bytes whose aliases expand to billions of nodes, and a
deeply nested file exhausts the stack; both are refused here, while the document is
composed and before anything walks it. Booleans are only ``true`` and ``false``, so an
id such as ``no`` stays text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from regiekaart.errors import InputRefused, PolicyError
from regiekaart.limits import Limits, exceeded


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


def bounded_loader(text: str, limits: Limits, name: str) -> _Counting:
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
