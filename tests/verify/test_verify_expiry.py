"""Expiry in the verifier: a term may run out at any moment, so the explorer tries it
after every step, with time abstracted away.

On ``tests/cards/termijnen.yaml`` (an IBS of three days, an OTS of two weeks, a
machtiging of a month) every situation with such a measure in force is expanded with an
``expire`` command for it, which the runtime accepts; the invariants are checked on
the situations those lead to like on any other, and a counterexample that passes
through an expiry replays, because its expiry says when.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from regiekaart import (
    Escalate,
    ExpireMeasure,
    ImposeMeasure,
    Member,
    Policy,
    load_policy,
    structure_command,
)
from regiekaart.analysis.enumeration import Scope, enumerate_commands
from regiekaart.analysis.search import Outcome, PathClock, bfs, case_at
from regiekaart.analysis.situations import SituationKey
from regiekaart.runtime.records import CaseState
from regiekaart.scenario import load_scenario, play
from regiekaart.verify.counterexample import roles_after, scenario_document, write_scenario
from regiekaart.verify.diff import card_changes
from regiekaart.verify.exhaustive import explore, start_case

CARD = Path(__file__).resolve().parents[1] / "cards" / "termijnen.yaml"
ADULT = (Member(id="volwassen-1", group="volwassen"),)
"""A household of one adult: an IBS and a machtiging, both with a term, and the
Reclassering's supervision without one; small enough to explore in seconds."""
QUICK = Scope(refusals=False, holders="none", measure_order=False)


@pytest.fixture(scope="module")
def termijnen() -> Policy:
    return load_policy(CARD)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))


def test_the_explorer_s_clock_outlasts_every_term(termijnen: Policy, universeel: Policy) -> None:
    assert PathClock.for_policy(universeel).step > timedelta(days=366)  # the OTS: a year
    step = PathClock.for_policy(termijnen).step
    assert step > timedelta(days=31)  # the machtiging: a calendar month
    assert PathClock.for_policy(load_policy(CARD.parent / "competing-rules.yaml")).step == (
        PathClock.STEP
    )


def test_an_expiry_is_tried_wherever_a_measure_with_a_term_is_in_force(
    termijnen: Policy,
) -> None:
    tried: list[tuple[SituationKey, Outcome]] = []
    states: dict[SituationKey, CaseState] = {}
    situations = bfs(
        termijnen,
        start_case(termijnen, ADULT),
        visit=lambda key, case, _arrival: states.__setitem__(key, case.state),
        edge=lambda key, outcome, _case: tried.append((key, outcome)),
        scope=QUICK,
        keep_log=False,
        max_states=5_000,
    )
    assert len(situations) < 5_000
    expiries = [(k, o) for k, o in tried if isinstance(o.command, ExpireMeasure)]
    assert {o.command.measure for _, o in expiries} == {"ibs", "rm"}  # type: ignore[attr-defined]
    expired = {(k, o.command.measure) for k, o in expiries}  # type: ignore[attr-defined]
    timed = {(k, m.measure) for k, s in states.items() for m in s.facts.measures if m.until}
    assert timed
    assert expired == timed  # wherever a term runs, its expiry is tried, and only there
    assert all(o.event is not None for _, o in expiries), "time abstracted: always over"
    ended = {
        (k, o.command.measure, o.command.member): o.target  # type: ignore[attr-defined]
        for k, o in tried
        if o.command.type == "end_measure" and o.event is not None
    }
    for key, outcome in expiries:
        command = outcome.command
        same = ended.get((key, command.measure, command.member))  # type: ignore[attr-defined]
        assert same is None or same == outcome.target  # an expiry ends it as an ending does


def test_no_expiry_is_tried_for_a_measure_without_a_term(universeel: Policy) -> None:
    case = start_case(universeel)
    case._clock = PathClock.for_policy(universeel)
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    case.apply(ImposeMeasure(actor="kinderrechter", measure="voogdij", member="jeugd-1"))
    assert not any(isinstance(c, ExpireMeasure) for c in enumerate_commands(universeel, case.state))


@pytest.mark.slow
def test_the_obligations_hold_with_expiries_in_the_paths(termijnen: Policy) -> None:
    result = explore(termijnen, household=ADULT, max_states=20_000)
    assert result.holds, [f.check for f in result.findings]
    assert result.situations > 0


def test_a_story_through_an_expiry_replays_because_it_says_when(
    termijnen: Policy, tmp_path: Path
) -> None:
    opened = start_case(termijnen)
    case = case_at(termijnen, opened.state, opened.events)  # on the explorer's clock
    for command in (
        {"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]},
        {"type": "impose_measure", "actor": "burgemeester", "measure": "ibs",
         "member": "volwassen-1"},
        {"type": "expire", "actor": "burgemeester", "measure": "ibs", "member": "volwassen-1"},
    ):  # fmt: skip
        case.apply(structure_command(command))
    trace = case.events[1:]
    household, opener = case.state.members, case.events[0].command.actor
    out = tmp_path / "verhaal.yaml"
    document = scenario_document(
        termijnen,
        CARD,
        out,
        title="door een verlopen IBS",
        detail="",
        trace=trace,
        household=household,
        opened_by=opener,
        roles_after=roles_after(termijnen, opener, household, trace),
    )
    steps = document["steps"]
    assert "at" not in steps[1]
    assert steps[2]["at"] == trace[2].at.isoformat()
    write_scenario(document, out, ["door een verlopen IBS"])
    result = play(load_scenario(out, search_path=(CARD.parent,)))
    assert result.passed, [s.failures for s in result.steps]
    assert result.steps[-1].event is not None
    assert result.steps[-1].event.command.type == "expire"


def test_a_changed_time_limit_shows_in_the_card_diff(
    termijnen: Policy, universeel: Policy, tmp_path: Path
) -> None:
    changes = {(c.kind, c.where): c for c in card_changes(universeel, termijnen)}
    ibs = changes["time", "measures.ibs"]
    assert (ibs.what, ibs.old, ibs.new) == ("added", None, {"max": "P3D"})
    assert changes["time", "obligations.burgemeester-bij-fase4"].new == "P1D"
    assert changes["time", "states.fase3"].new == {"max": "P56D", "on_expiry": "afschalen-3-2"}
    ots = changes["time", "measures.ots"]
    assert ots.what == "changed: max, extend"
    written_otherwise = tmp_path / "anders.yaml"
    written_otherwise.write_text(
        CARD.read_text("utf-8")
        .replace("{max: 3d,", "{max: PT72H,")
        .replace("id: termijnen", "id: t2"),
        "utf-8",
    )
    again = load_policy(written_otherwise, search_path=(CARD.parent,))
    assert not [c for c in card_changes(termijnen, again) if c.kind == "time"]
