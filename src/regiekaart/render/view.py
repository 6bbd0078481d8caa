"""The card as one neutral view: what every renderer reads, in no output format.

The HTML card, the Markdown card, the statechart diagram and the SCXML export must
never disagree, so none of them reads the policy itself: :func:`card_view` extracts
everything they show once — the phases as columns, one row per role with its cells
(split by sub-state where the card splits them), the transitions with their deciders
and criteria, the states and events of the compiled chart, the section of the
handreiking every cell cites, and what a local card changes in the card it extends.
A renderer only lays this view out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from regiekaart.policy.model import Policy, RoleCell, StateDef, TransitionRule
from regiekaart.policy.sourcemap import locate
from regiekaart.render.model import (
    KIND_LABELS,
    AgreementRef,
    CardView,
    Cell,
    CellPart,
    ChartState,
    ChartTransition,
    Colour,
    Column,
    CriterionRef,
    Deciders,
    Footnote,
    Option,
    Override,
    PartyRef,
    Prohibited,
    Row,
    RowCell,
    SlotOption,
    Step,
    SubState,
    colour,
)
from regiekaart.runtime.chart import END_EVENT, IMPOSE_EVENT, CompiledPolicy, compile_policy


class _Extractor:
    """Walks a policy once, numbering footnotes in reading order."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.footnotes: list[Footnote] = []

    def footnote(self, label: str, section: str, path: str) -> Footnote:
        file, line = locate(self.policy.sources, path)
        location = f"{Path(file).name}:{line}" if file and line else ""
        note = Footnote(len(self.footnotes) + 1, label, section, location)
        self.footnotes.append(note)
        return note

    def overridden(self, path: str) -> bool:
        return any(_covers(o, path) for o in self.policy.overrides)

    def party(self, party_id: str) -> PartyRef:
        party = self.policy.parties.get(party_id)
        return PartyRef(party_id, party.name if party else party_id, party.kind if party else "")

    def parties(self, ids: Iterable[str]) -> tuple[PartyRef, ...]:
        return tuple(self.party(p) for p in ids)

    def slots(self, groups: Sequence[Sequence[str]]) -> Deciders:
        def option(part: str) -> SlotOption:
            if part.startswith("role:"):
                role = self.policy.roles.get(part[5:])
                return SlotOption("role", part[5:], role.title if role else part[5:])
            return SlotOption("party", part, self.party(part).name)

        return tuple(
            tuple(tuple(option(p) for p in slot.split("|")) for slot in group) for group in groups
        )

    def role_title(self, role: str) -> str:
        found = self.policy.roles.get(role)
        return found.title if found else role

    def state_colour(self, state_id: str) -> Colour:
        return colour(self.policy.phase_of(state_id).colour)

    def state_title(self, state_id: str | None) -> str:
        if state_id is None:
            return ""
        state = self.policy.states.get(state_id)
        if state is None:
            return state_id
        if state.is_phase:
            return f"Fase {state.order} · {state.title}"
        if state.parent is not None:
            return f"{self.state_title(state.parent)} · {state.title}"
        return state.title


def _covers(override: str, path: str) -> bool:
    """Whether setting ``override`` changed what is at ``path`` (or inside it)."""
    return (
        override == path
        or override.startswith((path + ".", path + "["))
        or path.startswith((override + ".", override + "["))
    )


def _state_path(state: StateDef) -> str:
    if state.parent is None:
        return f"phases.{state.id}" if not state.final else f"final.{state.id}"
    child = state.id.rpartition(".")[2]
    return f"phases.{state.parent}.substates.states.{child}"


def _cell(ex: _Extractor, state: StateDef, cell: RoleCell, label: str) -> Cell:
    path = f"{_state_path(state)}.roles.{cell.role}"
    return Cell(
        state=state.id,
        role=cell.role,
        text=cell.text,
        holders=ex.parties(cell.holders),
        eligible=ex.parties(cell.eligible or cell.holders),
        optional=cell.optional,
        from_measures=cell.from_measures,
        from_dominance=cell.from_dominance,
        appointed_by=ex.slots(cell.appoint),
        footnote=ex.footnote(label, cell.source or state.source, path),
        overridden=ex.overridden(path),
    )


def _columns(ex: _Extractor) -> tuple[Column, ...]:
    columns = []
    for phase in ex.policy.phases():
        subs = tuple(
            SubState(
                id=c,
                title=ex.policy.states[c].title,
                initial=ex.policy.states[c].initial,
                when_measures=ex.policy.states[c].when_measures,
                source=ex.policy.states[c].source,
            )
            for c in phase.children
        )
        path = _state_path(phase)
        columns.append(
            Column(
                id=phase.id,
                order=phase.order,
                title=phase.title,
                situation=phase.situation,
                colour=colour(phase.colour),
                parallel=phase.parallel,
                substates=subs,
                agreements=tuple(
                    AgreementRef(
                        a.id,
                        a.title,
                        a.description,
                        a.source,
                        ex.overridden(f"agreements.{a.id}"),
                    )
                    for a in ex.policy.agreements_in(phase.id)
                ),
                footnote=ex.footnote(f"Fase {phase.order} · {phase.title}", phase.source, path),
                overridden=any(
                    ex.overridden(f"{path}.{key}")
                    for key in ("title", "situation", "colour", "order")
                ),
            )
        )
    return tuple(columns)


def _rows(ex: _Extractor) -> tuple[Row, ...]:
    rows = []
    phases = ex.policy.phases()
    for role in ex.policy.roles.values():
        cells = []
        for phase in phases:
            parts = []
            where = f"{role.title} · Fase {phase.order}"
            if role.id in phase.roles:
                parts.append(CellPart(phase.id, "", _cell(ex, phase, phase.roles[role.id], where)))
            for child_id in phase.children:
                child = ex.policy.states[child_id]
                if role.id in child.roles:
                    label = f"{where} · {child.title}"
                    cell = _cell(ex, child, child.roles[role.id], label)
                    parts.append(CellPart(child.id, child.title, cell))
            cells.append(RowCell(phase.id, tuple(parts)))
        rows.append(Row(role.id, role.title, role.description, tuple(cells)))
    return tuple(rows)


def _step_order(policy: Policy, rule: TransitionRule) -> int:
    return policy.phase_of(rule.source_state).order


def _steps(ex: _Extractor, compiled: CompiledPolicy) -> tuple[Step, ...]:
    policy = ex.policy
    steps = []
    for rule in sorted(policy.transitions.values(), key=lambda r: _step_order(policy, r)):
        kind: str = rule.kind
        if rule.kind == "change" and rule.direction:
            kind = f"{rule.kind}:{rule.direction}"
        path = f"transitions.{rule.id}"
        criteria = tuple(
            CriterionRef(
                c,
                policy.criteria[c].text if c in policy.criteria else c,
                policy.criteria[c].source if c in policy.criteria else "",
                ex.overridden(f"criteria.{c}"),
            )
            for c in rule.criteria
        )
        steps.append(
            Step(
                id=rule.id,
                event=compiled.event_of[rule.id],
                kind=rule.kind,
                kind_label=KIND_LABELS.get(kind, rule.kind),
                title=rule.title or rule.id,
                description=rule.description,
                source_state=rule.source_state,
                source_title=ex.state_title(rule.source_state),
                source_colour=ex.state_colour(rule.source_state),
                target_state=rule.target_state,
                target_title=ex.state_title(rule.target_state),
                target_colour=(
                    ex.state_colour(rule.target_state) if rule.target_state is not None else None
                ),
                deciders=ex.slots(rule.deciders),
                criteria=criteria,
                criteria_mode=rule.criteria_mode,
                requires=tuple(
                    policy.decisions[r].title if r in policy.decisions else r for r in rule.requires
                ),
                needs_dominance=rule.needs_dominance,
                assign=tuple(
                    (ex.role_title(role), tuple(ex.party(p).name for p in holders))
                    for role, holders in rule.assign.items()
                ),
                release=tuple(ex.role_title(r) for r in rule.release),
                footnote=ex.footnote(rule.title or rule.id, rule.source, path),
                overridden=ex.overridden(path) or any(c.overridden for c in criteria),
            )
        )
    return tuple(steps)


def _options(ex: _Extractor, kind: Literal["dominance", "measures"]) -> tuple[Option, ...]:
    policy = ex.policy
    if kind == "dominance":
        return tuple(
            Option(
                d.id,
                d.title,
                tuple(
                    (ex.role_title(r), tuple(ex.party(p).name for p in h))
                    for r, h in d.roles.items()
                ),
                d.source,
            )
            for d in policy.dominance.values()
        )
    return tuple(
        Option(
            m.id,
            m.title,
            (
                ("Opgelegd door", tuple(ex.party(p).name for p in m.imposed_by)),
                *(
                    (ex.role_title(r), tuple(ex.party(p).name for p in h))
                    for r, h in m.roles.items()
                ),
                ("Groep", (policy.member_groups.get(m.group, m.group),)),
            ),
            m.source,
        )
        for m in policy.measures.values()
    )


def _override_label(policy: Policy, path: str) -> str:
    """The override's path in the card's own words where it names a known thing."""
    parts = path.split(".")
    words = []
    names: dict[str, Callable[[str], str]] = {
        "phases": lambda k: f"Fase {policy.states[k].order}" if k in policy.states else k,
        "roles": lambda k: policy.roles[k].title if k in policy.roles else k,
        "transitions": lambda k: policy.transitions[k].title if k in policy.transitions else k,
        "criteria": lambda k: f"criterium {k}",
        "parties": lambda k: policy.parties[k].name if k in policy.parties else k,
        "states": lambda k: k,
    }
    index = 0
    while index < len(parts):
        part = parts[index]
        name = names.get(part)
        if name is not None and index + 1 < len(parts):
            words.append(name(parts[index + 1]))
            index += 2
            continue
        if part != "substates":
            words.append(part)
        index += 1
    return " › ".join(words)


def _overrides(ex: _Extractor) -> tuple[Override, ...]:
    out = []
    for path in ex.policy.overrides:
        file, line = locate(ex.policy.sources, path)
        location = f"{Path(file).name}:{line}" if file and line else ""
        out.append(Override(path, _override_label(ex.policy, path), location))
    return tuple(out)


def card_view(policy: Policy, compiled: CompiledPolicy | None = None) -> CardView:
    """Extract the view every renderer reads from ``policy`` and its compiled chart."""
    compiled = compiled or compile_policy(policy)
    ex = _Extractor(policy)
    columns = _columns(ex)
    rows = _rows(ex)
    steps = _steps(ex, compiled)
    chart_states, chart_transitions = _chart(ex, compiled, steps)
    return CardView(
        id=policy.id,
        title=policy.title,
        version=policy.version,
        description=policy.description,
        extends=policy.extends,
        digest=policy.digest,
        columns=columns,
        rows=rows,
        steps=steps,
        prohibited=tuple(
            Prohibited(
                p.id,
                KIND_LABELS.get(p.kind, p.kind),
                ex.state_title(p.source_state),
                p.title,
                p.source,
            )
            for p in policy.prohibitions.values()
        ),
        finals=tuple((s.title, s.source) for s in policy.states.values() if s.final),
        dominance=_options(ex, "dominance"),
        dominance_in=tuple(ex.state_title(s) for s in policy.dominance_in),
        measures=_options(ex, "measures"),
        measures_in=tuple(ex.state_title(s) for s in policy.measures_in),
        overrides=_overrides(ex),
        footnotes=tuple(ex.footnotes),
        chart_name=str(compiled.chart_class.name),
        chart_states=chart_states,
        chart_transitions=chart_transitions,
        initial_state=compiled.chart_id[policy.initial_state().id],
    )


def deciders_words(
    deciders: Sequence[Sequence[Sequence[SlotOption]]], *, joint: str = " + ", either: str = " of "
) -> str:
    """Deciders in short words: slots of a group joined by ``joint``, options by ``either``."""
    return "; of ".join(
        joint.join(either.join(o.words for o in slot) for slot in group) for group in deciders
    )


def _chart(
    ex: _Extractor, compiled: CompiledPolicy, steps: Sequence[Step]
) -> tuple[tuple[ChartState, ...], tuple[ChartTransition, ...]]:
    """The compiled chart's states and transitions, in the card's words."""
    by_event = {s.event: s for s in steps}
    transitions: list[ChartTransition] = []

    def state(node: Any) -> ChartState:
        sid = str(node.id)
        policy_id = compiled.state_of[sid]
        defined = ex.policy.states[policy_id]
        children = tuple(state(c) for c in node.states)
        kind: Literal["atomic", "compound", "parallel", "final"]
        if defined.final:
            kind = "final"
        elif getattr(node, "parallel", False):
            kind = "parallel"
        else:
            kind = "compound" if children else "atomic"
        phase = ex.policy.phase_of(policy_id)
        for t in node.transitions:
            if getattr(t, "initial", False):
                continue
            transitions.append(_transition(ex, compiled, sid, t, by_event))
        return ChartState(
            id=sid,
            policy_id=policy_id,
            title=defined.title,
            caption=ex.state_title(policy_id) if defined.is_phase else defined.title,
            kind=kind,
            initial=bool(getattr(node, "initial", False)),
            colour=colour(phase.colour),
            children=children,
        )

    states = tuple(state(s) for s in compiled.chart_class.states)
    return states, tuple(transitions)


def _transition(
    ex: _Extractor, compiled: CompiledPolicy, source: str, t: Any, by_event: dict[str, Step]
) -> ChartTransition:
    events = [str(e) for e in t.events]
    targets = tuple(str(x.id) for x in t.targets)
    event = events[0] if events else ""
    step = by_event.get(event)
    if step is not None:
        words = deciders_words(step.deciders)
        return ChartTransition(
            source, targets, event, step.id, step.kind, step.title, words, "", False
        )
    if event in (IMPOSE_EVENT, END_EVENT):
        label = "maatregel opgelegd" if event == IMPOSE_EVENT else "maatregel beëindigd"
        return ChartTransition(source, targets, event, "", "kader", label, "", "", True)
    target = ex.policy.states[compiled.state_of[targets[0]]] if targets else None
    when = target.when_measures if target is not None else None
    condition: Literal["", "measures:some", "measures:none"] = (
        "measures:some" if when == "some" else "measures:none" if when == "none" else ""
    )
    label = {"measures:some": "bij een maatregel", "measures:none": "zonder maatregel"}.get(
        condition, ""
    )
    return ChartTransition(source, targets, event, "", "kader", label, "", condition, False)
