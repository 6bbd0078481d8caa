"""The regiekaart as a terminal table: roles down, phases across, as in §2.3.

People know the card as one table; showing a policy in that shape lets a policy officer
check a file against the printed card cell by cell. Each cell gives the card's own text
and, dimmed, what the engine will do with it (the default holders, whether the holders
follow from a measure or the dominant problem, whether the role is only held when
needed). Sub-states show inside their phase's cells: the kader of a compound phase, the
parallel tracks of another. Below the card come the steps between phases with their
deciders and criteria, and the steps the card rules out.

Everything here returns rich renderables and prints nothing, so the CLI stays a thin skin
and tests can render the same objects. Each table is laid out when it is drawn
(:class:`~regiekaart.render.widths.ByWidth`): as the printed card when the terminal is
wide enough for every phase to have room, otherwise one phase (and one step) at a time,
so no role's name is cut at 80 columns.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.color import Color, ColorParseError
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from regiekaart.policy.model import Policy
from regiekaart.render.model import (
    CardView,
    Cell,
    Column,
    CriteriaPart,
    Row,
    RowCell,
    SlotOption,
    SubState,
    TagRef,
    TransitionView,
)
from regiekaart.render.view import card_view as neutral_view
from regiekaart.render.widths import ByWidth, labelled, longest_word

__all__ = [
    "COLOUR_NAMES",
    "PHASE_WIDTH",
    "STEPS_WIDTH",
    "card_table",
    "card_view",
    "colour_style",
    "prohibitions_table",
    "transitions_table",
]

COLOUR_NAMES: dict[str, str] = {
    "groen": "green",
    "geel": "yellow",
    "oranje": "dark_orange",
    "rood": "red",
    "donkerrood": "dark_red",
    "blauw": "blue",
    "paars": "purple",
    "grijs": "grey50",
    "zwart": "black",
}
"""Colour words a card may use (Dutch, as the card prints them) → terminal colours.

A colour rich already knows (``green``, ``#c00000``) is used as it is; anything else is
shown as text only.
"""


def colour_style(colour: str) -> str:
    """The terminal style for a phase colour, or ``""`` when it is not a known colour."""
    name = COLOUR_NAMES.get(colour.strip().lower(), colour.strip())
    if not name:
        return ""
    try:
        Color.parse(name)
    except ColorParseError:
        return ""
    return name


def card_view(policy: Policy) -> Group:
    """The whole card: the role table, the transitions, and what the card rules out."""
    card = neutral_view(policy)
    parts: list[RenderableType] = [card_table(card), transitions_table(card)]
    if card.prohibited:
        parts.append(prohibitions_table(card))
    return Group(*parts)


PHASE_WIDTH = 30
"""The narrowest a phase column of the wide card may be; below it, phases are stacked."""


def card_table(card: CardView) -> ByWidth:
    """Roles down, phases across; the sub-states shown inside their phase's cells. When
    the terminal cannot give every phase :data:`PHASE_WIDTH` columns, one phase at a
    time, its roles down the left."""
    labels = _labels(card)
    label_width = longest_word(str(label) for label in labels)
    needed = label_width + 4 + len(card.columns) * (PHASE_WIDTH + 3)
    return ByWidth(
        lambda: _wide_card(card, labels, label_width),
        lambda: _stacked_card(card, labels, label_width),
        needed,
    )


def _caption(card: CardView) -> str:
    caption = f"{card.id}" + (f" {card.version}" if card.version else "")
    if card.extends:
        caption += f", extends {' → '.join(card.extends)}"
    return caption


def _labels(card: CardView) -> list[Text]:
    """The row labels, in order: the situation, the sub-states, each role, the agreements."""
    labels = [Text("Situation", style="bold")]
    if any(c.substates for c in card.columns):
        labels.append(Text("Sub-states", style="bold"))
    labels += [_row_title(row) for row in card.rows]
    if any(c.agreements for c in card.columns):
        labels.append(Text("Agreements"))
    return labels


def _cells(card: CardView, index: int) -> list[Text]:
    """The cells of phase ``index``, in the order of :func:`_labels`."""
    column = card.columns[index]
    cells = [Text(column.situation, style="italic")]
    if any(c.substates for c in card.columns):
        cells.append(_substates(column))
    cells += [_role_cell(row.cells[index]) for row in card.rows]
    if any(c.agreements for c in card.columns):
        cells.append(_agreements(column))
    return cells


def _wide_card(card: CardView, labels: Sequence[Text], label_width: int) -> Table:
    table = Table(title=card.title, caption=_caption(card), show_lines=True, expand=True)
    table.add_column("", style="bold", min_width=label_width, ratio=1, overflow="fold")
    for column in card.columns:
        table.add_column(_phase_header(column), ratio=2, vertical="top", overflow="fold")
    cells = [_cells(card, index) for index in range(len(card.columns))]
    for row, label in enumerate(labels):
        table.add_row(label, *[column[row] for column in cells])
    return table


def _stacked_card(card: CardView, labels: Sequence[Text], label_width: int) -> Group:
    parts: list[RenderableType] = [Text(card.title, style="bold", justify="center")]
    for index, column in enumerate(card.columns):
        rows = list(zip(labels, _cells(card, index), strict=True))
        header = _phase_header(column, between=" · ")
        parts.append(labelled(header, rows, label_width=label_width, lines=True))
    parts.append(Text(_caption(card), style="dim", justify="center"))
    return Group(*parts)


def _agreements(column: Column) -> Text:
    """The existing working agreements, routes and guidelines that apply in the phase."""
    if not column.agreements:
        return Text("—", style="dim")
    return Text("\n".join(f"• {' '.join(a.title.split())}" for a in column.agreements))


def _phase_header(column: Column, between: str = "\n") -> Text:
    name = column.colour.name
    style = colour_style(name)
    header = Text(f"{column.order}. {column.title}", style=f"bold {style}".strip())
    if name:
        header.append(f"{between}{name}", style=style or "dim")
    return header


def _substates(column: Column) -> Text:
    if not column.substates:
        return Text("—", style="dim")
    text = Text("at once:" if column.parallel else "one of:", style="dim")
    _list_substates(text, column.substates, "")
    return text


def _list_substates(text: Text, subs: tuple[SubState, ...], indent: str) -> None:
    """Each sub-state on a line of its own, and under it its own sub-states, indented."""
    for child in subs:
        text.append(f"\n{indent}• {child.title}")
        if child.when_measures == "some":
            text.append(" (while a measure is in force)", style="dim")
        elif child.when_measures == "none":
            text.append(" (without measures)", style="dim")
        if child.substates:
            text.append(" — at once:" if child.parallel else " — one of:", style="dim")
            _list_substates(text, child.substates, indent + "  ")


def _row_title(row: Row) -> Text:
    """The role's title, with the bounds and chair the role states for every phase."""
    text = Text(row.title)
    said = [words for words in (row.count, row.chair) if words]
    if said:
        text.append("\n" + " · ".join(said), style="dim")
    return text


def _role_cell(row_cell: RowCell) -> Text:
    text = Text()
    for part in row_cell.parts:
        if part.state == row_cell.phase:
            text.append_text(_cell_text(part.cell))
            continue
        if text:
            text.append("\n\n")
        text.append(f"{part.label}: ", style="bold")
        text.append_text(_cell_text(part.cell))
    return text if text else Text("—", style="dim")


def _cell_text(cell: Cell) -> Text:
    text = Text(" ".join(cell.text.split()))
    notes = []
    if cell.holders:
        notes.append("→ " + ", ".join(h.id for h in cell.holders))
    if cell.from_measures:
        notes.append("by the measure in force")
    if cell.from_dominance:
        notes.append("by the dominant problem")
    if cell.optional:
        notes.append("only when needed")
    notes.extend(words for words in (cell.count, cell.chair) if words)
    if notes:
        if text:
            text.append("\n")
        text.append(" · ".join(notes), style="dim")
    return text


STEPS_WIDTH = 140
"""The narrowest terminal the transitions are shown in as one table; below it, one step
at a time."""


def transitions_table(card: CardView) -> ByWidth:
    """Every step of the card: from where to where, decided by whom, on which criteria."""
    steps = sorted(card.steps, key=lambda s: s.order)
    return ByWidth(lambda: _wide_steps(steps), lambda: _stacked_steps(steps), STEPS_WIDTH)


def _wide_steps(steps: Sequence[TransitionView]) -> Table:
    table = Table(title="Transitions", show_lines=True, expand=True)
    table.add_column("Step", ratio=2, min_width=20, overflow="fold")
    table.add_column("From → to", ratio=2, min_width=14, overflow="fold")
    table.add_column("Decided by", ratio=3, overflow="fold")
    table.add_column("Criteria", ratio=3, overflow="fold")
    table.add_column("Requires", ratio=1, min_width=12, overflow="fold")
    table.add_column("Source", ratio=1, min_width=10, overflow="fold")
    for step in steps:
        title = Text(step.title)
        title.append(f"\n{step.id} ({step.kind})", style="dim")
        if step.tags:
            title.append("\ntags: " + _tag_titles(step), style="dim")
        table.add_row(
            title,
            _route(step),
            Text(_deciders(step)),
            _criteria(step),
            _requires(step),
            Text(step.footnote.section),
        )
    return table


def _stacked_steps(steps: Sequence[TransitionView]) -> Group:
    parts: list[RenderableType] = [Text("Transitions", style="bold", justify="center")]
    for step in steps:
        title = Text(step.title, style="bold")
        title.append(f" · {step.id} ({step.kind})", style="dim")
        rows: list[tuple[str | Text, RenderableType]] = [
            ("From → to", _route(step)),
            ("Decided by", Text(_deciders(step))),
            ("Criteria", _criteria(step)),
            ("Requires", _requires(step)),
            ("Source", Text(step.footnote.section)),
        ]
        if step.tags:
            rows.append(("Tags", Text(_tag_titles(step))))
        parts.append(labelled(title, rows, label_width=len("Decided")))
    return Group(*parts)


def _tag_titles(step: TransitionView) -> str:
    return ", ".join(t.title for t in step.tags)


def _deciders(step: TransitionView) -> str:
    """Who decides, in the words a refusal uses."""

    def words(option: SlotOption, alone: bool) -> str:
        members = ", ".join(option.members)
        if option.kind == "role":
            return f"the holder of {option.name}"
        if option.kind == "group":
            return f"one of the {option.lowered} ({members})"
        if option.kind == "all":
            if alone:
                return f"the {option.lowered} together ({members})"
            return f"all of the {option.lowered} ({members})"
        return option.name

    said = "; or ".join(
        " together with ".join(
            " or ".join(words(o, len(group) == 1) for o in slot) for slot in group
        )
        for group in step.deciders
    )
    return said if step.deciders else "nobody"


def _route(step: TransitionView) -> Text:
    if step.target_state is None:
        return Text(f"within {step.source_state} ({step.direction})")
    return Text(f"{step.source_state} → {step.target_state}")


def _criteria(step: TransitionView) -> Text:
    if step.requirement is None and not step.optional_criteria:
        return Text("—", style="dim")
    text = Text()
    if step.requirement is not None:
        _criteria_part(text, step.requirement)
    if step.optional_criteria:
        text.append("; " if step.requirement is not None else "")
        text.append("optional: ", style="dim")
        text.append(", ".join(c.id + _tagged(c.tags) for c in step.optional_criteria))
    return text


_HEADS = {"all": "all of: ", "any": "any of: ", "not": "not "}


def _criteria_part(text: Text, part: CriteriaPart, nested: bool = False) -> None:
    """One part of the criteria by id, combinations under their English heads."""
    if part.criterion is not None:
        text.append(part.criterion.id + _tagged(part.criterion.tags))
        return
    text.append("(" if nested else "")
    text.append(_HEADS[part.kind], style="dim")
    for index, inner in enumerate(part.parts):
        text.append(", " if index else "")
        _criteria_part(text, inner, nested=True)
    text.append(")" if nested else "")


def _tagged(tags: Sequence[TagRef]) -> str:
    """A criterion's tags, after its id, as the terminal table shows them."""
    return f" ({', '.join(t.title for t in tags)})" if tags else ""


def _requires(step: TransitionView) -> Text:
    needs: Iterable[str] = (
        *step.requires_ids,
        *(["a dominant problem named"] if step.needs_dominance else []),
    )
    joined = ", ".join(needs)
    return Text(joined) if joined else Text("—", style="dim")


def prohibitions_table(card: CardView) -> Table:
    """The steps the card rules out explicitly, cited when such a command is refused."""
    table = Table(title="Not allowed", show_lines=False, expand=True)
    table.add_column("From", no_wrap=True)
    table.add_column("Step", no_wrap=True)
    table.add_column("Why", ratio=1, overflow="fold")
    table.add_column("Source", min_width=8, overflow="fold")
    for item in card.prohibited:
        table.add_row(item.source_state, item.kind, " ".join(item.title.split()), item.source)
    return table
