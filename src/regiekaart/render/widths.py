"""Terminal tables that stay readable at any width: side by side when there is room,
stacked when there is not.

A table of five columns at 80 columns gives each about fifteen characters; rich then
cuts the words that do not fit ("Casusr…") or wraps a heading to three letters a line.
So a view offers two layouts: the wide one (one table, as the printed card has it) and a
stacked one (one small two-column table per phase, step or record, its labels down the
left), and :class:`ByWidth` chooses when it is drawn, from the width the console gives
it. The choice is made at render time, so the same value prints well on a terminal, in
a CI log and in a test that fixes the width.

Layer: render. It imports nothing of the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

__all__ = ["LABEL_WIDTH", "ByWidth", "labelled", "longest_word"]

LABEL_WIDTH = 24
"""The widest a label column grows; a longer label wraps between its words."""


class ByWidth:
    """The wide layout when the console gives at least ``min_width`` columns, else the
    stacked one; each is built only when it is drawn."""

    def __init__(
        self,
        wide: Callable[[], RenderableType],
        stacked: Callable[[], RenderableType],
        min_width: int,
    ) -> None:
        self.wide = wide
        self.stacked = stacked
        self.min_width = min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.wide() if options.max_width >= self.min_width else self.stacked()


def longest_word(texts: Iterable[str | Text]) -> int:
    """The length of the longest word in ``texts``: the narrowest a column may be
    without cutting a word."""
    words = (word for text in texts for word in str(text).split())
    return max((len(word) for word in words), default=1)


def labelled(
    title: Text | str,
    rows: Sequence[tuple[str | Text, RenderableType]],
    *,
    label_width: int,
    lines: bool = False,
) -> Table:
    """One record as a two-column table: its labels down the left, kept whole, and the
    values beside them folded to the width that is left."""
    table = Table(
        title=title,
        title_justify="left",
        show_header=False,
        show_lines=lines,
        expand=True,
        padding=(0, 1),
    )
    table.add_column(style="bold", min_width=label_width, max_width=max(label_width, LABEL_WIDTH))
    table.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table
