"""The regiekaart as a terminal table: roles down, phases across, as in §2.3.

People know the card as one table; showing a policy in that shape lets a policy officer
check a file against the printed card cell by cell. Each cell gives the card's own text
and, dimmed, what the engine will do with it (the default holders, whether the holders
follow from a measure or the dominant problem, whether the role is only held when
needed). Sub-states show inside their phase's cells: the kader of a compound phase, the
parallel tracks of another. Below the card come the steps between phases with their
deciders and criteria, and the steps the card rules out.

Everything here returns rich renderables and prints nothing, so the CLI stays a thin skin
and tests can render the same objects.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.color import Color, ColorParseError
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from regiekaart.policy.model import Policy, RoleCell, StateDef, TransitionRule
from regiekaart.runtime.authority import describe

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
    parts: list[RenderableType] = [card_table(policy), transitions_table(policy)]
    if policy.prohibitions:
        parts.append(prohibitions_table(policy))
    return Group(*parts)


def card_table(policy: Policy) -> Table:
    """Roles down, phases across; the sub-states shown inside their phase's cells."""
    phases = policy.phases()
    caption = f"{policy.id}" + (f" {policy.version}" if policy.version else "")
    if policy.extends:
        caption += f", extends {' → '.join(policy.extends)}"
    table = Table(title=policy.title, caption=caption, show_lines=True, expand=True)
    table.add_column("", style="bold", no_wrap=False, ratio=1)
    for phase in phases:
        table.add_column(_phase_header(phase), ratio=2, vertical="top")
    table.add_row(
        Text("Situation", style="bold"), *[Text(p.situation, style="italic") for p in phases]
    )
    if any(p.children for p in phases):
        table.add_row(Text("Sub-states", style="bold"), *[_substates(policy, p) for p in phases])
    for role in policy.roles.values():
        table.add_row(Text(role.title), *[_role_cell(policy, phase, role.id) for phase in phases])
    if policy.agreements:
        table.add_row(Text("Agreements"), *[_agreements(policy, phase) for phase in phases])
    return table


def _agreements(policy: Policy, phase: StateDef) -> Text:
    """The existing working agreements, routes and guidelines that apply in the phase."""
    items = policy.agreements_in(phase.id)
    if not items:
        return Text("—", style="dim")
    return Text("\n".join(f"• {' '.join(a.title.split())}" for a in items))


def _phase_header(phase: StateDef) -> Text:
    style = colour_style(phase.colour)
    header = Text(f"{phase.order}. {phase.title}", style=f"bold {style}".strip())
    if phase.colour:
        header.append(f"\n{phase.colour}", style=style or "dim")
    return header


def _substates(policy: Policy, phase: StateDef) -> Text:
    if not phase.children:
        return Text("—", style="dim")
    children = [policy.states[c] for c in phase.children]
    text = Text("at once:\n" if phase.parallel else "one of:\n", style="dim")
    for index, child in enumerate(children):
        if index:
            text.append("\n")
        text.append(f"• {child.title}")
        if child.when_measures == "some":
            text.append(" (while a measure is in force)", style="dim")
        elif child.when_measures == "none":
            text.append(" (without measures)", style="dim")
    return text


def _role_cell(policy: Policy, phase: StateDef, role: str) -> Text:
    text = Text()
    own = phase.roles.get(role)
    if own is not None:
        text.append_text(_cell_text(own))
    for child_id in phase.children:
        child = policy.states[child_id]
        cell = child.roles.get(role)
        if cell is None:
            continue
        if text:
            text.append("\n\n")
        text.append(f"{child.title}: ", style="bold")
        text.append_text(_cell_text(cell))
    return text if text else Text("—", style="dim")


def _cell_text(cell: RoleCell) -> Text:
    text = Text(" ".join(cell.text.split()))
    notes = []
    if cell.holders:
        notes.append("→ " + ", ".join(cell.holders))
    if cell.from_measures:
        notes.append("by the measure in force")
    if cell.from_dominance:
        notes.append("by the dominant problem")
    if cell.optional:
        notes.append("only when needed")
    if notes:
        if text:
            text.append("\n")
        text.append(" · ".join(notes), style="dim")
    return text


def transitions_table(policy: Policy) -> Table:
    """Every step of the card: from where to where, decided by whom, on which criteria."""
    table = Table(title="Transitions", show_lines=True, expand=True)
    table.add_column("Step", ratio=2)
    table.add_column("From → to", ratio=2)
    table.add_column("Decided by", ratio=3)
    table.add_column("Criteria", ratio=3)
    table.add_column("Requires", ratio=1)
    table.add_column("Source", ratio=1)
    for rule in sorted(policy.transitions.values(), key=lambda r: _order(policy, r)):
        step = Text(rule.title or rule.id)
        step.append(f"\n{rule.id} ({rule.kind})", style="dim")
        table.add_row(
            step,
            _route(policy, rule),
            Text(describe(rule.deciders, policy)),
            _criteria(rule),
            _requires(rule),
            Text(rule.source),
        )
    return table


def _order(policy: Policy, rule: TransitionRule) -> tuple[int, int]:
    """By the phase a step leaves, then the phase it enters; closing last."""
    source = policy.phase_of(rule.source_state).order
    if rule.target_state is None:
        return source, source
    target = policy.phase_of(rule.target_state)
    return source, (len(policy.states) + 1 if target.final else target.order)


def _route(policy: Policy, rule: TransitionRule) -> Text:
    if rule.target_state is None:
        return Text(f"within {rule.source_state} ({rule.direction or ''})")
    return Text(f"{rule.source_state} → {rule.target_state}")


def _criteria(rule: TransitionRule) -> Text:
    if not rule.criteria:
        return Text("—", style="dim")
    text = Text("all of: " if rule.criteria_mode == "all" else "any of: ", style="dim")
    text.append(", ".join(rule.criteria))
    return text


def _requires(rule: TransitionRule) -> Text:
    needs: Iterable[str] = (
        *rule.requires,
        *(["a dominant problem named"] if rule.needs_dominance else []),
    )
    joined = ", ".join(needs)
    return Text(joined) if joined else Text("—", style="dim")


def prohibitions_table(policy: Policy) -> Table:
    """The steps the card rules out explicitly, cited when such a command is refused."""
    table = Table(title="Not allowed", show_lines=False, expand=True)
    table.add_column("From", ratio=1)
    table.add_column("Step", ratio=1)
    table.add_column("Why", ratio=5)
    table.add_column("Source", ratio=1)
    for item in policy.prohibitions.values():
        table.add_row(item.source_state, item.kind, " ".join(item.title.split()), item.source)
    return table
