"""One case's history as an HTML timeline: who decided what, when, and who held which regie.

A professional reading back a case wants the story, not the log: the phases it went
through in the card's colours, who held each role of the card at every
moment, and for each step who took it, together with whom, on which criteria and for
what reason — and which attempts were refused, and by which rule. The timeline is
built from a played scenario (its refusals included) or from a case's accepted events,
whether the case is in memory or read back from a store; one neutral
:class:`Timeline` feeds the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import frozen

from regiekaart.errors import CommandRefused
from regiekaart.policy.model import Policy
from regiekaart.render.html import environment
from regiekaart.render.model import Colour, colour
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Inform,
    Melding,
    RecordAdvice,
    RecordDecision,
)
from regiekaart.runtime.records import Event

if TYPE_CHECKING:
    from regiekaart.scenario.model import ScenarioResult

COMMAND_LABELS: dict[str, str] = {
    "open": "Casus geopend",
    "signal": "Signaal",
    "escalate": "Opschalen",
    "deescalate": "Afschalen",
    "change": "Wijziging binnen de fase",
    "impose_measure": "Maatregel opgelegd",
    "end_measure": "Maatregel beëindigd",
    "advice": "Advies gevraagd",
    "melding": "Melding",
    "inform": "Informeren",
    "decision": "Besluit",
    "appoint": "Aanwijzing",
    "close": "Casus afsluiten",
}
"""The card's words for the kinds of command."""


@frozen
class Holding:
    """Who held one role right after a step, and whether that step changed it."""

    role: str
    holders: tuple[str, ...]
    changed: bool


@frozen
class Entry:
    """One step of the story: accepted (with what it changed) or refused (with the rule)."""

    index: int
    at: str
    """Date and time, ``dd-mm-jjjj uu:mm``; empty when not known."""
    command: str
    title: str
    detail: str
    actor: str
    together: tuple[str, ...]
    criteria: tuple[str, ...]
    reason: str
    rule: str
    source: str
    refused: bool
    refusal: str
    """The refusal's kind and message; empty for an accepted step."""
    phase: str
    phase_caption: str
    colour: Colour
    situation: str
    """The active states after the step, in the card's words."""
    holdings: tuple[Holding, ...]
    informed: tuple[str, ...]
    failures: tuple[str, ...]


@frozen
class Span:
    """A stretch of time the case spent in one phase."""

    phase: str
    caption: str
    colour: Colour
    start: str
    end: str
    weight: float
    """Its share of the drawn time line (0–1)."""


@frozen
class Timeline:
    """A case's whole story, ready to lay out."""

    title: str
    description: str
    case_id: str
    policy_id: str
    policy_title: str
    roles: tuple[tuple[str, str], ...]
    """Role id and title, in the card's order: the lanes."""
    entries: tuple[Entry, ...]
    spans: tuple[Span, ...]
    refusals: int
    verdict: str


class _Words:
    """Names from the policy, falling back to the raw id for anything it does not know."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def party(self, party: str) -> str:
        found = self.policy.parties.get(party)
        return found.name if found else party

    def parties(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.party(p) for p in ids)

    def state(self, state_id: str) -> str:
        state = self.policy.states.get(state_id)
        if state is None:
            return state_id
        if state.is_phase:
            return f"Fase {state.order} · {state.title}"
        return state.title

    def criterion(self, criterion: str) -> str:
        found = self.policy.criteria.get(criterion)
        return found.text if found else criterion

    def rule_title(self, rule: str, command: Command) -> str:
        policy = self.policy
        for table in (policy.transitions, policy.activities, policy.decisions):
            found = table.get(rule)
            if found is not None:
                return str(found.title)
        return COMMAND_LABELS.get(command.type, command.type)

    def _move_detail(self, command: Escalate | Deescalate, *, titled: bool) -> str:
        """Where a move to a phase goes (unless its title says so) and which dominance
        it named."""
        parts = [] if titled else [f"naar {self.state(command.to)}"]
        if command.dominance:
            option = self.policy.dominance.get(command.dominance)
            parts.append(f"dominant: {option.title if option else command.dominance}")
        return "; ".join(parts)

    def detail(self, command: Command, *, titled: bool) -> str:
        """What the command was about, beyond its kind: target, measure, recipient …

        ``titled``: the step already has the title of its rule, which names where it goes.
        """
        policy = self.policy
        match command:
            case Escalate() | Deescalate():
                return self._move_detail(command, titled=titled)
            case ChangeLevel():
                if titled:
                    return ""
                return "opschalen" if command.direction == "up" else "afschalen"
            case ImposeMeasure() | EndMeasure():
                measure = policy.measures.get(command.measure)
                return f"{measure.title if measure else command.measure} voor {command.member}"
            case Inform():
                return f"aan {self.party(command.recipient)}"
            case RecordDecision():
                decision = policy.decisions.get(command.decision)
                return decision.title if decision else command.decision
            case Appoint():
                role = policy.roles.get(command.role)
                names = ", ".join(self.parties(command.holders.get(command.role, ())))
                return f"{role.title if role else command.role}: {names}"
            case Melding():
                return f"bij {self.party(command.to)}" if command.to else ""
            case RecordAdvice():
                return f"bij {self.party(command.adviser)}"
        return ""


def _stamp(at: datetime | None) -> str:
    return at.strftime("%d-%m-%Y %H:%M") if at is not None else ""


def _holdings(
    policy: Policy,
    words: _Words,
    before: Mapping[str, Sequence[str]],
    after: Mapping[str, Sequence[str]],
) -> tuple[Holding, ...]:
    return tuple(
        Holding(
            role=role,
            holders=words.parties(after.get(role, ())),
            changed=tuple(before.get(role, ())) != tuple(after.get(role, ())),
        )
        for role in policy.roles
    )


def _entry(
    words: _Words,
    index: int,
    command: Command,
    at: datetime | None,
    configuration: Sequence[str],
    roles_before: Mapping[str, Sequence[str]],
    roles_after: Mapping[str, Sequence[str]],
    *,
    event: Event | None,
    refusal: CommandRefused | None,
    failures: Sequence[str] = (),
) -> Entry:
    policy = words.policy
    phase_id = next(
        (s for s in configuration if s in policy.states and policy.states[s].parent is None), ""
    )
    phase = policy.states.get(phase_id)
    rule = event.rule if event is not None else (refusal.rule if refusal is not None else "")
    source = event.source if event is not None else (refusal.source if refusal is not None else "")
    informed: tuple[str, ...] = ()
    if event is not None:
        informed = tuple(
            f"{words.party(i.recipient)}{'' if i.done else ' (nog te doen)'}"
            for i in event.informed
        )
    sub = [words.state(s) for s in configuration if s != phase_id]
    title = words.rule_title(rule, command)
    detail = words.detail(command, titled=rule in policy.transitions)
    return Entry(
        index=index,
        at=_stamp(at),
        command=command.type,
        title=title,
        detail=detail if detail != title else "",
        actor=words.party(command.actor),
        together=words.parties(command.together),
        criteria=tuple(words.criterion(c) for c in command.criteria),
        reason=command.reason,
        rule=rule,
        source=source,
        refused=refusal is not None,
        refusal=f"{type(refusal).__name__}: {refusal.message}" if refusal is not None else "",
        phase=phase_id,
        phase_caption=words.state(phase_id) if phase_id else "",
        colour=colour(phase.colour if phase is not None and not phase.final else "grijs"),
        situation=" · ".join(sub),
        holdings=_holdings(policy, words, roles_before, roles_after),
        informed=informed,
        failures=tuple(failures),
    )


def _spans(entries: Sequence[Entry], times: Sequence[datetime | None]) -> tuple[Span, ...]:
    """Phase stretches from the accepted entries; drawn in proportion to time where known."""
    marks = [(e, t) for e, t in zip(entries, times, strict=True) if not e.refused and e.phase]
    if not marks:
        return ()
    groups: list[list[tuple[Entry, datetime | None]]] = []
    for mark in marks:
        if groups and groups[-1][0][0].phase == mark[0].phase:
            groups[-1].append(mark)
        else:
            groups.append([mark])
    starts = [g[0][1] for g in groups]
    known = all(t is not None for t in starts)
    last = max((t for t in times if t is not None), default=None)
    lengths: list[float] = []
    for i in range(len(groups)):
        start, end = starts[i], starts[i + 1] if i + 1 < len(groups) else last
        if known and start is not None and end is not None:
            lengths.append(max((end - start).total_seconds(), 0.0))
        else:
            lengths.append(0.0)
    positive = [x for x in lengths if x > 0]
    floor = (sum(positive) / len(positive) if positive else 1.0) * 0.35
    widths = [max(x, floor) for x in lengths]
    total = sum(widths)
    spans = []
    for i, group in enumerate(groups):
        first = group[0][0]
        end_entry = groups[i + 1][0][0] if i + 1 < len(groups) else group[-1][0]
        spans.append(
            Span(
                phase=first.phase,
                caption=first.phase_caption,
                colour=first.colour,
                start=first.at,
                end=end_entry.at if i + 1 < len(groups) else "",
                weight=widths[i] / total,
            )
        )
    return tuple(spans)


def timeline_from_events(
    policy: Policy,
    case_id: str,
    events: Sequence[Event],
    *,
    title: str = "",
    description: str = "",
) -> Timeline:
    """The timeline of a case from its accepted events (a :class:`Case`'s or a store's).

    Role holders are rebuilt from each event's hand-overs, so no replay is needed and
    events recorded under an older version of the card still read.
    """
    words = _Words(policy)
    roles: dict[str, tuple[str, ...]] = {}
    entries = []
    for event in events:
        before = dict(roles)
        for handover in event.handovers:
            if handover.to:
                roles[handover.role] = tuple(handover.to)
            else:
                roles.pop(handover.role, None)
        entries.append(
            _entry(
                words,
                event.seq - 1,
                event.command,
                event.at,
                event.after,
                before,
                roles,
                event=event,
                refusal=None,
            )
        )
    return _timeline(
        policy,
        case_id,
        title or f"Casus {case_id}",
        description,
        entries,
        [e.at for e in events],
        "",
    )


def timeline_from_scenario(result: ScenarioResult) -> Timeline:
    """The timeline of a played scenario, refused steps included and marked."""
    policy = result.policy
    words = _Words(policy)
    entries: list[Entry] = []
    times: list[datetime | None] = []
    previous: Mapping[str, Sequence[str]] = {}
    last_time: datetime | None = None
    for step in (result.opening, *result.steps):
        at = step.event.at if step.event is not None else last_time
        entries.append(
            _entry(
                words,
                step.index,
                step.command,
                at,
                step.configuration,
                previous,
                step.roles,
                event=step.event,
                refusal=step.refusal,
                failures=step.failures,
            )
        )
        times.append(at)
        previous = step.roles
        last_time = at
    scenario = result.scenario
    verdict = "alle verwachtingen kloppen" if result.passed else result.summary()
    return _timeline(
        policy,
        scenario.case_id,
        scenario.title or f"Casus {scenario.case_id}",
        scenario.description,
        entries,
        times,
        verdict,
    )


def _timeline(
    policy: Policy,
    case_id: str,
    title: str,
    description: str,
    entries: Sequence[Entry],
    times: Sequence[datetime | None],
    verdict: str,
) -> Timeline:
    return Timeline(
        title=title,
        description=description,
        case_id=case_id,
        policy_id=policy.id,
        policy_title=policy.title,
        roles=tuple((r.id, r.title) for r in policy.roles.values()),
        entries=tuple(entries),
        spans=_spans(entries, times),
        refusals=sum(1 for e in entries if e.refused),
        verdict=verdict,
    )


def render_timeline(timeline: Timeline) -> str:
    """The timeline as a self-contained HTML page."""
    return environment().get_template("timeline.html.j2").render(timeline=timeline)
