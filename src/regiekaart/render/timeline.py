"""One case's history as an HTML timeline: who decided what, when, and who held which regie.

A professional reading back a case wants the story, not the log: the phases it went
through in the card's colours, who held each role of the card at every
moment, and for each step who took it, together with whom, on which criteria and for
what reason — and which attempts were refused, and by which rule. The timeline is
built from a played scenario (its refusals included) or from a case's accepted events,
whether the case is in memory or read back from a store; one neutral
:class:`Timeline` feeds the template.

Layer: render. It may import store, scenario, analysis, runtime, policy and the
foundation modules; never verify, simulate, testing or cli.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import frozen

from regiekaart.errors import CommandRefused
from regiekaart.policy.model import Policy
from regiekaart.render._words import CaseWords
from regiekaart.render.html import environment
from regiekaart.render.palette import Colour, colour
from regiekaart.runtime.commands import (
    Command,
)
from regiekaart.runtime.records import Event

if TYPE_CHECKING:
    from regiekaart.scenario.model import ScenarioResult

__all__ = [
    "Entry",
    "Holding",
    "Span",
    "Timeline",
    "render_timeline",
    "timeline_from_events",
    "timeline_from_scenario",
]


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
    tags: tuple[str, ...] = ()
    """The titles of the tags the step was recorded with (a calamity, stalled co-operation)."""


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


def _stamp(at: datetime | None) -> str:
    return at.strftime("%d-%m-%Y %H:%M") if at is not None else ""


def _holdings(
    policy: Policy,
    words: CaseWords,
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
    words: CaseWords,
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
        tags=tuple(policy.tag_title(t) for t in event.tags) if event is not None else (),
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
    words = CaseWords(policy)
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
    words = CaseWords(policy)
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
