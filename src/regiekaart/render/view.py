"""The card as one neutral view: what every renderer reads, in no output format.

The HTML card, the Markdown card, the statechart diagram and the SCXML export must
never disagree, so none of them reads the policy itself: :func:`card_view` extracts
everything they show once — the phases as columns, one row per role with its cells
(split by sub-state where the card splits them), the transitions with their deciders
and criteria, the states and events of the compiled chart, the section of the
handreiking every cell cites, and what a local card changes in the card it extends.
A renderer only lays this view out.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from regiekaart.policy.cardinality import Bounds, bounds, chair, ordered_roles
from regiekaart.policy.model import Policy, RoleCell, StateDef, TransitionRule
from regiekaart.render import _criteria as _criteria_words
from regiekaart.render._chart import chart
from regiekaart.render._extractor import Extractor, state_path
from regiekaart.render._words import choice_words
from regiekaart.render.model import (
    KIND_LABELS,
    AgreementRef,
    CardView,
    Cell,
    CellPart,
    Column,
    CriterionRef,
    Option,
    Override,
    Prohibited,
    Row,
    RowCell,
    SubState,
    TagRef,
    TransitionView,
)
from regiekaart.render.palette import colour
from regiekaart.runtime.chart import CompiledPolicy, compile_policy

__all__ = ["card_view", "count_words"]


def _cell(ex: Extractor, state: StateDef, cell: RoleCell, label: str) -> Cell:
    path = f"{state_path(state)}.roles.{cell.role}"
    return Cell(
        state=state.id,
        role=cell.role,
        text=cell.text,
        holders=ex.parties(cell.written.get("holders", cell.holders)),
        eligible=ex.parties(_eligible_written(cell)),
        optional=cell.optional,
        from_measures=cell.from_measures,
        from_dominance=cell.from_dominance,
        appointed_by=ex.slots(cell.appoint),
        footnote=ex.footnote(label, cell.source or state.source, path),
        overridden=ex.overridden(path),
        count=count_words(bounds(ex.policy, cell)),
        chair=_chair_words(ex, chair(ex.policy, cell)),
    )


def _eligible_written(cell: RoleCell) -> tuple[str, ...]:
    """Who may hold the role, as the card writes it: the eligible list, else the holders
    (a party group as ``group:ID``, which the view names with its members)."""
    if cell.eligible:
        return cell.written.get("eligible", cell.eligible)
    return cell.written.get("holders", cell.holders)


def count_words(limits: Bounds) -> str:
    """The bounds on a role's holders as the card says them: "2–3 houders"; empty when
    they say only that someone holds it."""
    if not limits.stated:
        return ""
    if limits.most is None:
        return f"ten minste {limits.least} houders"
    if limits.least == limits.most:
        return f"{limits.least} houder" + ("s" if limits.least > 1 else "")
    if limits.least == 1:
        return f"ten hoogste {limits.most} houders"
    return f"{limits.least}–{limits.most} houders"


def _chair_words(ex: Extractor, role: str | None) -> str:
    if role is None:
        return ""
    title = ex.role_title(role)
    return f"voorzitter: houder van {title[:1].lower()}{title[1:]}"


def _substates(policy: Policy, ids: tuple[str, ...]) -> tuple[SubState, ...]:
    return tuple(
        SubState(
            id=state.id,
            title=state.title,
            initial=state.initial,
            when_measures=state.when_measures,
            source=state.source,
            parallel=state.parallel,
            substates=_substates(policy, state.children),
        )
        for state in (policy.states[c] for c in ids)
    )


def _columns(ex: Extractor) -> tuple[Column, ...]:
    columns = []
    for phase in ex.policy.phases():
        subs = _substates(ex.policy, phase.children)
        path = state_path(phase)
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


def _inside(policy: Policy, state_id: str, above: str = "") -> Iterator[tuple[StateDef, str]]:
    """The states inside ``state_id`` at any depth, outer first, each with the titles
    from below the phase down to it, joined by `` · ``."""
    for child_id in policy.states[state_id].children:
        child = policy.states[child_id]
        titles = f"{above} · {child.title}" if above else child.title
        yield child, titles
        yield from _inside(policy, child_id, titles)


def _rows(ex: Extractor) -> tuple[Row, ...]:
    rows = []
    phases = ex.policy.phases()
    for role in (ex.policy.roles[r] for r in ordered_roles(ex.policy)):
        cells = []
        for phase in phases:
            parts = []
            where = f"{role.title} · Fase {phase.order}"
            if role.id in phase.roles:
                parts.append(CellPart(phase.id, "", _cell(ex, phase, phase.roles[role.id], where)))
            for child, titles in _inside(ex.policy, phase.id):
                if role.id in child.roles:
                    label = f"{where} · {titles}"
                    cell = _cell(ex, child, child.roles[role.id], label)
                    parts.append(CellPart(child.id, titles, cell))
            cells.append(RowCell(phase.id, tuple(parts)))
        own = Bounds(least=role.min_holders or 1, most=role.max_holders or None)
        chaired = _chair_words(ex, role.chair)
        rows.append(
            Row(role.id, role.title, role.description, tuple(cells), count_words(own), chaired)
        )
    return tuple(rows)


def _step_order(policy: Policy, rule: TransitionRule) -> int:
    return policy.phase_of(rule.source_state).order


def _route_order(policy: Policy, rule: TransitionRule) -> tuple[int, int]:
    """By the phase a step leaves, then the phase it enters; closing last."""
    source = policy.phase_of(rule.source_state).order
    if rule.target_state is None:
        return source, source
    target = policy.phase_of(rule.target_state)
    return source, (len(policy.states) + 1 if target.final else target.order)


def _tag(policy: Policy, tag: str) -> TagRef:
    found = policy.tags.get(tag)
    if found is None:
        return TagRef(tag, tag)
    return TagRef(tag, found.title, found.description, found.source)


def _tags(policy: Policy) -> tuple[TagRef, ...]:
    """The declared tags; for a card that declares none, the tags it uses, as written."""
    used = [
        tag
        for part in (policy.transitions, policy.criteria, policy.measures)
        for item in part.values()
        for tag in item.tags
    ]
    used += [t for d in policy.decisions.values() for t in d.tags]
    used += [t for a in policy.activities.values() for t in a.tags]
    ids = list(policy.tags) or list(dict.fromkeys(used))
    return tuple(_tag(policy, t) for t in ids)


def _criterion(ex: Extractor) -> Callable[[str], CriterionRef]:
    criteria = ex.policy.criteria

    def ref(c: str) -> CriterionRef:
        return CriterionRef(
            c,
            criteria[c].text if c in criteria else c,
            criteria[c].source if c in criteria else "",
            ex.overridden(f"criteria.{c}"),
            tuple(_tag(ex.policy, t) for t in criteria[c].tags) if c in criteria else (),
        )

    return ref


def _criteria(ex: Extractor, rule: TransitionRule) -> tuple[CriterionRef, ...]:
    return tuple(map(_criterion(ex), rule.criteria))


def _step(ex: Extractor, compiled: CompiledPolicy, rule: TransitionRule) -> TransitionView:
    policy = ex.policy
    kind: str = rule.kind
    if rule.kind == "change" and rule.direction:
        kind = f"{rule.kind}:{rule.direction}"
    path = f"transitions.{rule.id}"
    criteria = _criteria(ex, rule)
    target = rule.target_state
    return TransitionView(
        id=rule.id,
        event=compiled.event_of[rule.id],
        kind=rule.kind,
        kind_label=KIND_LABELS.get(kind, rule.kind),
        title=rule.title or rule.id,
        description=rule.description,
        source_state=rule.source_state,
        source_title=ex.state_title(rule.source_state),
        source_colour=ex.state_colour(rule.source_state),
        direction=rule.direction or "",
        target_state=target,
        target_title=ex.state_title(target),
        target_colour=ex.state_colour(target) if target is not None else None,
        deciders=ex.slots(rule.deciders),
        criteria=criteria,
        requirement=(
            _criteria_words.part(rule.requirement, _criterion(ex))
            if rule.requirement is not None
            else None
        ),
        optional_criteria=tuple(map(_criterion(ex), rule.optional_criteria)),
        criteria_words=_criteria_words.words(rule.requirement, rule.optional_criteria),
        requires=tuple(
            policy.decisions[r].title if r in policy.decisions else r for r in rule.requires
        ),
        requires_ids=rule.requires,
        needs_dominance=rule.needs_dominance,
        assign=tuple(
            (ex.role_title(role), ex.party_names(rule.assign_written.get(role, holders)))
            for role, holders in rule.assign.items()
        ),
        release=tuple(ex.role_title(r) for r in rule.release),
        footnote=ex.footnote(rule.title or rule.id, rule.source, path),
        overridden=ex.overridden(path) or any(c.overridden for c in criteria),
        order=_route_order(policy, rule),
        tags=tuple(_tag(policy, t) for t in rule.tags),
    )


def _steps(ex: Extractor, compiled: CompiledPolicy) -> tuple[TransitionView, ...]:
    policy = ex.policy
    rules = sorted(policy.transitions.values(), key=lambda r: _step_order(policy, r))
    return tuple(_step(ex, compiled, rule) for rule in rules)


def _options(ex: Extractor, kind: Literal["dominance", "measures"]) -> tuple[Option, ...]:
    policy = ex.policy
    if kind == "dominance":
        return tuple(
            Option(
                d.id,
                d.title,
                tuple(
                    (
                        ex.role_title(r),
                        choice_words(policy, d.choices[r]) if r in d.choices else ex.party_names(h),
                    )
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
                ("Opgelegd door", ex.party_names(m.imposed_by)),
                *((ex.role_title(r), ex.party_names(h)) for r, h in m.roles.items()),
                ("Groep", (policy.member_groups.get(m.group, m.group),)),
                *((("Tags", tuple(policy.tag_title(t) for t in m.tags)),) if m.tags else ()),
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


def _overrides(ex: Extractor) -> tuple[Override, ...]:
    out = []
    for path in ex.policy.overrides:
        out.append(Override(path, _override_label(ex.policy, path), ex.location(path)))
    return tuple(out)


def card_view(policy: Policy, compiled: CompiledPolicy | None = None) -> CardView:
    """Extract the view every renderer reads from ``policy`` and its compiled chart."""
    compiled = compiled or compile_policy(policy)
    ex = Extractor(policy)
    columns = _columns(ex)
    rows = _rows(ex)
    steps = _steps(ex, compiled)
    chart_states, chart_transitions = chart(ex, compiled, steps)
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
                p.kind,
                KIND_LABELS.get(p.kind, p.kind),
                p.source_state,
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
        tags=_tags(policy),
    )
