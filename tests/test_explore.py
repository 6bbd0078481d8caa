"""The situation explorer: commands enumerated from the card, applied through the real runtime.

The explorer never models the card a second time: it sends real commands to real cases,
so what it finds reachable is what a host's case can do.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from case_stories import calamity, open_case, to_fase2, to_fase3
from regiekaart import (
    Case,
    CloseCase,
    Command,
    CommandRefused,
    Escalate,
    InvalidCommand,
    Policy,
    RecordDecision,
    Signal,
)
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.invariants import Invariant, invariants_for
from regiekaart.analysis.search import Arrival, Outcome, Tried, bfs, can_reach, case_at, try_command
from regiekaart.analysis.situations import default_household, situation_key
from regiekaart.runtime.authority import authorized

Load = Callable[[str], Policy]


def _cheap(policy: Policy) -> list[Invariant]:
    """The invariants without the searching check, which the explorer itself answers."""
    out = []
    for inv in invariants_for(policy):
        checks = tuple(c for c in inv.checks if c[0] != "path_to")
        if checks:
            out.append(Invariant(id=inv.id, title=inv.title, source=inv.source, checks=checks))
    return out


def test_the_default_household_has_one_member_per_group(universeel: Policy) -> None:
    members = default_household(universeel)
    assert [(m.id, m.group) for m in members] == [
        ("jeugd-1", "jeugd"),
        ("volwassen-1", "volwassen"),
    ]


def test_a_situation_is_what_decides_what_may_happen_next(universeel: Policy) -> None:
    one, two = open_case(universeel, "een"), open_case(universeel, "twee")
    assert situation_key(one.state) == situation_key(two.state), "the case id does not matter"
    to_fase2(one)
    assert situation_key(one.state) != situation_key(two.state)
    to_fase2(two)
    assert situation_key(one.state) == situation_key(two.state)


def test_open_obligations_are_part_of_the_situation_unless_left_out(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    before = case.state
    to_fase3(case)
    assert case.open_obligations
    state = case.state
    cleared = type(state)(
        configuration=state.configuration,
        roles=state.roles,
        facts=state.facts,
        members=state.members,
        seq=state.seq,
    )
    assert situation_key(state) != situation_key(cleared)
    assert situation_key(state, obligations=False) == situation_key(cleared, obligations=False)
    assert situation_key(before) != situation_key(state)


def test_fase1_offers_opschalen_by_the_wijkteam_and_the_calamity(universeel: Policy) -> None:
    case = open_case(universeel)
    commands = enumerate_commands(universeel, case.state)
    escalations = {(c.to, c.actor) for c in commands if isinstance(c, Escalate)}
    assert ("fase2", "wijkteam") in escalations
    assert ("fase4", "ambtenaar-oov") in escalations
    assert any(isinstance(c, CloseCase) and c.actor == "wijkteam" for c in commands)


def test_the_enumeration_includes_commands_that_must_be_refused(universeel: Policy) -> None:
    """An unauthorised actor and a missing criterion are tried too."""
    case = open_case(universeel)
    rule = universeel.transitions["opschalen-1-2"]
    tried = [
        c
        for c in enumerate_commands(universeel, case.state)
        if isinstance(c, Escalate) and c.to == "fase2"
    ]
    outsiders = [
        c
        for c in tried
        if not authorized(rule.deciders, c.actor, c.together, case.roles, universeel)
    ]
    assert outsiders, "an unauthorised variant is enumerated"
    assert any(c.criteria == () for c in tried), "a variant without criteria is enumerated"
    for command in outsiders:
        assert try_command(case_at(universeel, case.state), command).refusal is not None


def test_without_refusals_every_transition_command_comes_from_a_decider(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    for command in enumerate_commands(universeel, case.state, refusals=False):
        if isinstance(command, Escalate):
            rules = [
                r
                for r in universeel.transitions.values()
                if r.target_state == command.to and r.source_state in case.configuration
            ]
            assert any(
                authorized(r.deciders, command.actor, command.together, case.roles, universeel)
                for r in rules
            ), command


def test_fase4_offers_the_plan_for_fase3(universeel: Policy) -> None:
    case = open_case(universeel)
    calamity(case)
    decisions = {
        (c.decision, c.actor)
        for c in enumerate_commands(universeel, case.state)
        if isinstance(c, RecordDecision)
    }
    assert ("fase3-plan", "veiligheidshuis") in decisions


def test_try_command_reports_accepted_and_refused(universeel: Policy) -> None:
    case = case_at(universeel, open_case(universeel).state)
    refused = try_command(case, Escalate(actor="client", to="fase2", criteria=["hulpbehoefte"]))
    assert isinstance(refused, Outcome)
    assert refused.event is None
    assert isinstance(refused.refusal, CommandRefused)
    assert case.configuration == ("fase1",)
    ill_formed = try_command(case, Signal(actor="buurman"))
    assert isinstance(ill_formed.refusal, InvalidCommand)
    accepted = try_command(case, Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    assert accepted.event is not None
    assert accepted.refusal is None
    assert accepted.target == situation_key(case.state)


def test_from_fase3_there_is_a_way_back_to_fase1(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    to_fase3(case)
    assert can_reach(universeel, case.state, "fase1")
    assert can_reach(universeel, case.state, "fase4")


def test_a_card_without_a_way_out_of_fase3_is_a_dead_end(test_policy: Load) -> None:
    policy = test_policy("fase3-zonder-uitweg")
    case = open_case(policy)
    to_fase2(case)
    assert can_reach(policy, case.state, "fase1")
    to_fase3(case)
    assert not can_reach(policy, case.state, "fase1")


@pytest.mark.parametrize("card", ["universeel", "west_brabant"])
def test_the_first_situations_keep_every_obligation(
    card: str, request: pytest.FixtureRequest
) -> None:
    """Breadth first over the first 150 situations: every one keeps the card's invariants,
    and each is reached from an earlier one by one accepted command."""
    policy: Policy = request.getfixturevalue(card)
    invariants = _cheap(policy)
    seen: dict[object, Arrival] = {}
    broken: list[str] = []
    tried: list[Command] = []

    def visit(key: object, case: Case, step: Arrival) -> None:
        seen[key] = step
        broken.extend(str(v) for inv in invariants for v in inv.violations(case))

    def edge(key: object, outcome: Outcome, case: Case) -> None:
        tried.append(outcome.command)

    start = open_case(policy)
    steps = bfs(policy, start, visit=visit, edge=edge, max_states=150)
    assert len(steps) == 150, "the bound ends the search cleanly"
    assert set(steps) == set(seen)
    assert broken == []
    root = situation_key(start.state)
    for key, step in steps.items():
        depth = 0
        while step.parent is not None:
            assert step.command is not None
            step = steps[step.parent]
            depth += 1
        assert step.depth == 0
        assert key == root or depth > 0
    assert any(isinstance(c, Escalate) and c.to == "fase4" for c in tried)


def test_a_parallel_search_takes_per_command_work_through_examine_not_edge(
    universeel: Policy,
) -> None:
    """``edge`` needs the live case, which stays in the worker; ``examine`` runs beside it
    and its notes come back to ``tally`` in the order a serial search makes them."""

    def edge(key: object, outcome: Outcome, case: Case) -> None:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="examine and tally"):
        bfs(universeel, open_case(universeel), edge=edge, workers=2)
    notes: dict[int, list[tuple[object, bool, str]]] = {1: [], 2: []}
    for workers, seen in notes.items():

        def examine(key: object, state: object, outcome: Outcome, case: Case) -> str:
            return type(outcome.command).__name__

        def tally(key: object, tried: Tried, seen: list[tuple[object, bool, str]] = seen) -> None:
            seen.append((key, tried.accepted, tried.note))

        bfs(
            universeel,
            open_case(universeel),
            examine=examine,
            tally=tally,
            max_states=40,
            workers=workers,
        )
    assert notes[1] == notes[2]
    assert any(accepted for _, accepted, _ in notes[1])
    assert any(not accepted for _, accepted, _ in notes[1])
