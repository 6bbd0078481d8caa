"""The neutral view's values: a card and its chart as plain frozen data.

:mod:`.view` fills these from a policy and its compiled chart; every renderer reads
them and nothing else. They hold words and colours, never markup, so a new output
format is one more reader of the same values.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from attrs import frozen

from regiekaart.render.palette import Colour

__all__ = [
    "KIND_LABELS",
    "AgreementRef",
    "CardView",
    "Cell",
    "CellPart",
    "ChartState",
    "ChartTransition",
    "Column",
    "CriteriaPart",
    "CriterionRef",
    "Deciders",
    "Footnote",
    "Option",
    "Override",
    "PartyRef",
    "Prohibited",
    "Row",
    "RowCell",
    "SlotOption",
    "SubState",
    "TagRef",
    "TransitionView",
    "deciders_words",
]

KIND_LABELS: dict[str, str] = {
    "escalate": "Opschalen",
    "deescalate": "Afschalen",
    "change:up": "Opschalen binnen de fase",
    "change:down": "Afschalen binnen de fase",
    "change": "Wijziging binnen de fase",
    "close": "Afsluiten",
}
"""How the card's words name the generic kinds of step."""


@frozen
class PartyRef:
    """A party as the card names it."""

    id: str
    name: str
    kind: str


@frozen
class SlotOption:
    """One way to fill a decider slot: a named party, whoever holds a role, any one
    member of a party group (``group``), or all of a group's members (``all``)."""

    kind: Literal["party", "role", "group", "all"]
    id: str
    name: str
    members: tuple[str, ...] = ()
    """For a party group: the names of its members, which the words list after it."""

    @property
    def words(self) -> str:
        """The option as a phrase: the party's name, the holder of the role, or the
        group with its members ("TITEL samen (LID, LID, …)")."""
        if self.kind == "role":
            return f"houder van {self.name[:1].lower()}{self.name[1:]}"
        if self.kind == "group":
            return f"een van de {self.lowered} ({', '.join(self.members)})"
        if self.kind == "all":
            return f"de {self.lowered} samen ({', '.join(self.members)})"
        return self.name

    @property
    def lowered(self) -> str:
        """The name inside a sentence: its first letter lower case, unless it is an
        abbreviation (``OM``)."""
        name = self.name
        return name if name[:2] == name[:2].upper() else name[:1].lower() + name[1:]


Deciders = tuple[tuple[tuple[SlotOption, ...], ...], ...]
"""Alternatives; each a group of slots distinct parties fill together; each slot its options."""


@frozen
class Footnote:
    """The section of the handreiking a cell or rule cites, and where the card says it."""

    number: int
    label: str
    section: str
    location: str
    """``file:line`` of the policy file, file name only, so output does not depend on paths."""


@frozen
class Cell:
    """What the card says about one role while one state is active."""

    state: str
    role: str
    text: str
    holders: tuple[PartyRef, ...]
    eligible: tuple[PartyRef, ...]
    optional: bool
    from_measures: bool
    from_dominance: bool
    appointed_by: Deciders
    footnote: Footnote
    overridden: bool
    count: str = ""
    """How many hold the role here, in the card's words ("2–3 houders"); empty when the
    card says no more than that someone holds it."""
    chair: str = ""
    """Who chairs the holders here ("voorzitter: houder van procesregie"), if anyone."""


@frozen
class CellPart:
    """A cell inside a phase column; ``label`` names the sub-state (kader, track) if any."""

    state: str
    label: str
    cell: Cell


@frozen
class RowCell:
    """The intersection of a role row and a phase column; empty when the role is not held."""

    phase: str
    parts: tuple[CellPart, ...]


@frozen
class Row:
    """A role: one row of the card."""

    role: str
    title: str
    description: str
    cells: tuple[RowCell, ...]
    count: str = ""
    """How many hold the role in every phase, as the role itself states it."""
    chair: str = ""
    """Who chairs the role's holders in every phase, as the role itself states it."""


@frozen
class SubState:
    """A sub-state of a phase or of a sub-state: a kader (one at a time) or a track (all
    at once), with its own sub-states, to any depth."""

    id: str
    title: str
    initial: bool
    when_measures: str | None
    source: str
    parallel: bool = False
    """Whether its own sub-states are tracks that run at once."""
    substates: tuple[SubState, ...] = ()


@frozen
class AgreementRef:
    """An existing working agreement, route or guideline that applies in a phase."""

    id: str
    title: str
    description: str
    source: str
    overridden: bool


@frozen
class Column:
    """A phase: one column of the card."""

    id: str
    order: int
    title: str
    situation: str
    colour: Colour
    parallel: bool
    substates: tuple[SubState, ...]
    agreements: tuple[AgreementRef, ...]
    footnote: Footnote
    overridden: bool


@frozen
class TagRef:
    """A tag as the card words it: what a step or criterion is classified by."""

    id: str
    title: str
    description: str = ""
    source: str = ""


@frozen
class CriterionRef:
    """A criterion as the card words it."""

    id: str
    text: str
    source: str
    overridden: bool
    tags: tuple[TagRef, ...] = ()


@frozen
class CriteriaPart:
    """One part of a step's criteria: a criterion, or a combination of parts.

    ``heading`` says the combination as the card does (``alle drie``, ``één van``,
    ``niet``); a renderer nests the parts under it."""

    kind: str
    """``criterion``, ``all``, ``any`` or ``not``."""
    heading: str
    criterion: CriterionRef | None = None
    parts: tuple[CriteriaPart, ...] = ()


@frozen
class TransitionView:
    """A transition of the card: from where to where, decided by whom, on which criteria."""

    id: str
    event: str
    kind: str
    kind_label: str
    title: str
    description: str
    source_state: str
    source_title: str
    source_colour: Colour
    direction: str
    """Up or down for a step within a phase; empty otherwise."""
    target_state: str | None
    target_title: str
    target_colour: Colour | None
    deciders: Deciders
    criteria: tuple[CriterionRef, ...]
    """Every criterion the step names, required or optional."""
    requirement: CriteriaPart | None
    """What the invoked criteria must meet, as a tree of parts; ``None``: nothing."""
    optional_criteria: tuple[CriterionRef, ...]
    """Criteria a decider may invoke besides: recorded, not required."""
    criteria_words: str
    """The whole of it on one line, in the card's words: ``alle drie: a, b, c; optioneel: d``."""
    requires: tuple[str, ...]
    """Titles of the decisions that must have been taken first."""
    requires_ids: tuple[str, ...]
    """The same decisions by the ids the policy file gives them."""
    needs_dominance: bool
    assign: tuple[tuple[str, tuple[str, ...]], ...]
    """Role title → names of the parties the step gives it to."""
    release: tuple[str, ...]
    footnote: Footnote
    overridden: bool
    order: tuple[int, int]
    """Where the step sits between the phases: the order of the phase it leaves, then of
    the phase it enters (its own for a step within a phase; after every phase for closing)."""
    tags: tuple[TagRef, ...] = ()
    """The step's own tags (its criteria carry theirs)."""


@frozen
class Prohibited:
    """A step the card rules out in so many words."""

    id: str
    kind: str
    kind_label: str
    source_state: str
    source_title: str
    title: str
    source: str


@frozen
class Option:
    """A dominance pattern or a compulsory measure, with the holders it brings."""

    id: str
    title: str
    effect: tuple[tuple[str, tuple[str, ...]], ...]
    """Role title → names of the parties that then hold it."""
    source: str


@frozen
class Override:
    """Something a local card sets over the card it extends."""

    path: str
    label: str
    location: str


@frozen
class ChartState:
    """A state of the compiled chart, named as the chart names it."""

    id: str
    """The chart's state id (policy id with ``.`` as ``_``)."""
    policy_id: str
    title: str
    caption: str
    """The title with its phase number where it is a phase (``Fase 2 · …``)."""
    kind: Literal["atomic", "compound", "parallel", "final"]
    initial: bool
    colour: Colour
    children: tuple[ChartState, ...]


@frozen
class ChartTransition:
    """A transition of the compiled chart, with the card's words for it."""

    source: str
    targets: tuple[str, ...]
    event: str
    """The chart's event id; empty for an eventless (automatic) transition."""
    rule: str
    """The card's transition id; empty for the chart's own bookkeeping transitions."""
    kind: str
    """The step's kind (``escalate``, ``deescalate``, ``change``, ``close``), or ``kader``."""
    label: str
    deciders: str
    """The deciders in short words, for diagram labels."""
    condition: Literal["", "measures:some", "measures:none"]
    """For an eventless transition: the kader condition that triggers it."""
    bookkeeping: bool
    """A measure event re-evaluating the kader; not a step of the card."""


@frozen
class CardView:
    """Everything a rendering of one card shows."""

    id: str
    title: str
    version: str
    description: str
    extends: tuple[str, ...]
    digest: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    steps: tuple[TransitionView, ...]
    prohibited: tuple[Prohibited, ...]
    finals: tuple[tuple[str, str], ...]
    """Final states as (title, section of the handreiking)."""
    dominance: tuple[Option, ...]
    dominance_in: tuple[str, ...]
    measures: tuple[Option, ...]
    measures_in: tuple[str, ...]
    overrides: tuple[Override, ...]
    footnotes: tuple[Footnote, ...]
    chart_name: str
    chart_states: tuple[ChartState, ...]
    chart_transitions: tuple[ChartTransition, ...]
    initial_state: str
    tags: tuple[TagRef, ...] = ()
    """The tags the card declares, or uses without declaring, in the card's order."""


def deciders_words(
    deciders: Sequence[Sequence[Sequence[SlotOption]]],
    *,
    joint: str = " + ",
    either: str = " of ",
    alternatives: str = "; of ",
    words: Callable[[SlotOption], str] = lambda option: option.words,
) -> str:
    """Deciders in short words: slots of a group joined by ``joint``, options by ``either``,
    the groups by ``alternatives``; each option as ``words`` says it."""
    return alternatives.join(
        joint.join(either.join(words(o) for o in slot) for slot in group) for group in deciders
    )
