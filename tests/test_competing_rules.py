"""Two rules for one step: every candidate is tried, and a refusal names the closest.

On ``tests/cards/competing-rules.yaml`` fase 2 → fase 3 is taken by the wijkteam on
stagnating help (``opschalen-2-3``) or by the burgemeester on threatening unrest
(``opschalen-2-3-onrust``). A refusal that reported the first rule would tell the
burgemeester that it may not decide this step, while it decides the other rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs
from typer.testing import CliRunner

from competing_support import CARD, KIND, in_fase2
from regiekaart import (
    Case,
    CommandRefused,
    CriteriaNotMet,
    Escalate,
    Event,
    InvalidCommand,
    NotAuthorized,
    Policy,
    load_policy,
)
from regiekaart.analysis.search import try_command
from regiekaart.cli import app
from regiekaart.runtime.guards import GUARDS, Work, first_refusal, passed
from regiekaart.runtime.roles import target_configuration


@pytest.fixture(scope="module")
def card() -> Policy:
    return load_policy(CARD)


def refusal_of(case: Case, command: Escalate) -> CommandRefused:
    before = case.snapshot()
    with pytest.raises(CommandRefused) as caught:
        case.apply(command)
    assert case.snapshot() == before, "a refused command leaves the case as it was"
    return caught.value


def test_the_burgemeester_refused_on_its_criteria_is_not_told_it_may_not_decide(
    card: Policy,
) -> None:
    """The old refusal was the first rule's: "burgemeester may not decide this"."""
    case = in_fase2(card)
    refusal = refusal_of(
        case, Escalate(actor="burgemeester", to="fase3", criteria=["stagnatie-hulp"])
    )
    assert isinstance(refusal, CriteriaNotMet)
    assert (refusal.rule, refusal.source) == ("opschalen-2-3-onrust", "§2.3.4")
    assert refusal.message.startswith("stagnatie-hulp is not a criterion of this step")
    assert [rule for rule, _ in refusal.tried] == ["opschalen-2-3", "opschalen-2-3-onrust"]
    first = dict(refusal.tried)["opschalen-2-3"]
    assert isinstance(first, NotAuthorized)
    assert "[also tried opschalen-2-3: burgemeester may not decide this" in refusal.message
    assert str(refusal).endswith("; rule opschalen-2-3-onrust (§2.3.4)")
    assert refusal.configuration == ("fase2", "fase2.vrijwillig")


def test_rules_refused_equally_far_report_the_first_in_card_order(card: Policy) -> None:
    case = in_fase2(card)
    refusal = refusal_of(case, Escalate(actor="client", to="fase3", criteria=["stagnatie-hulp"]))
    assert isinstance(refusal, NotAuthorized)
    assert refusal.rule == "opschalen-2-3"
    assert all(isinstance(other, NotAuthorized) for _, other in refusal.tried)
    assert "also tried opschalen-2-3-onrust: client may not decide this" in refusal.message


def test_each_rule_is_taken_by_its_own_deciders(card: Policy) -> None:
    case = in_fase2(card)
    event = case.apply(Escalate(actor="burgemeester", to="fase3", criteria=["dreigende-onrust"]))
    assert (event.rule, event.source) == ("opschalen-2-3-onrust", "§2.3.4")
    case = in_fase2(card)
    event = case.apply(Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"]))
    assert event.rule == "opschalen-2-3"


def _with(policy: Policy, *rules: object) -> Policy:
    transitions = dict(policy.transitions)
    for rule in rules:
        assert isinstance(rule, type(next(iter(transitions.values()))))
        transitions[rule.id] = rule
    return attrs.evolve(policy, transitions=transitions)


def test_of_two_accepting_rules_the_first_in_card_order_is_taken(card: Policy) -> None:
    both = _with(
        card,
        attrs.evolve(
            card.transitions["opschalen-2-3-onrust"],
            deciders=(("wijkteam",),),
            criteria=("stagnatie-hulp",),
        ),
    )
    event = in_fase2(both).apply(
        Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"])
    )
    assert event.rule == "opschalen-2-3"


def test_a_rule_leaving_the_innermost_state_is_tried_first(card: Policy) -> None:
    inner = attrs.evolve(
        card.transitions["opschalen-2-3"],
        id="opschalen-vrijwillig-3",
        source_state="fase2.vrijwillig",
    )
    policy = _with(card, inner)
    event = in_fase2(policy).apply(
        Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"])
    )
    assert event.rule == "opschalen-vrijwillig-3"


def test_a_dominance_named_where_it_does_not_apply_is_an_ill_formed_command(
    card: Policy,
) -> None:
    """A rule for which the named dominance does not apply got nowhere; when no
    candidate does better, that is the refusal."""
    from regiekaart.policy.model import DominanceOption

    policy = attrs.evolve(
        card,
        dominance={"onrust": DominanceOption(id="onrust", title="Onrust", roles={})},
        dominance_in=("fase1",),
    )
    refusal = refusal_of(
        in_fase2(policy),
        Escalate(
            actor="burgemeester", to="fase3", criteria=["dreigende-onrust"], dominance="onrust"
        ),
    )
    assert isinstance(refusal, InvalidCommand)
    assert refusal.rule == "opschalen-2-3"
    assert refusal.message.startswith("dominance applies only in fase1")
    assert len(refusal.tried) == 2


def test_one_candidate_keeps_its_own_message_and_names_itself_tried(card: Policy) -> None:
    case = in_fase2(card)
    case.apply(Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"]))
    from regiekaart import Deescalate

    with pytest.raises(NotAuthorized) as caught:
        case.apply(Deescalate(actor="client", to="fase2", criteria=["veiligheid-hersteld"]))
    assert caught.value.tried == (("afschalen-3-2", caught.value.tried[0][1]),)
    assert "also tried" not in caught.value.message


def test_the_log_names_every_rule_tried(card: Policy) -> None:
    case = in_fase2(card)
    with capture_logs() as logs, pytest.raises(CriteriaNotMet):
        case.apply(Escalate(actor="burgemeester", to="fase3", criteria=["stagnatie-hulp"]))
    assert logs[-1]["rule"] == "opschalen-2-3-onrust"
    assert logs[-1]["tried"] == [
        ["opschalen-2-3", "NotAuthorized"],
        ["opschalen-2-3-onrust", "CriteriaNotMet"],
    ]


def test_the_explorer_records_the_refusal_under_the_closest_rule(card: Policy) -> None:
    case = in_fase2(card)
    outcome = try_command(
        case, Escalate(actor="burgemeester", to="fase3", criteria=["stagnatie-hulp"])
    )
    assert outcome.refusal is not None
    assert outcome.refusal.rule == "opschalen-2-3-onrust"


# -- the property: the reported rule is the one that got furthest -------------------------------

PARTIES = ("wijkteam", "burgemeester", "client", "mass-oggz")
CRITERIA = ("stagnatie-hulp", "dreigende-onrust", "hulpbehoefte")


def _passes(policy: Policy, case: Case, rule_id: str, command: Escalate) -> tuple[int, bool]:
    rule = policy.transitions[rule_id]
    assert rule.target_state is not None
    work = Work(
        policy=policy,
        command=command,
        before=case.state,
        facts=case.state.facts,
        rule=rule,
        chosen=dict(command.holders),
        assigned=dict(rule.assign),
        roles=dict(case.state.roles),
        target=target_configuration(policy, rule.target_state, case.state.facts),
    )
    return passed(rule, work), first_refusal(rule, work) is None


def _outcome(case: Case, command: Escalate) -> tuple[Event | None, CommandRefused | None]:
    try:
        return case.apply(command), None
    except CommandRefused as refusal:
        return None, refusal


@settings(max_examples=60, deadline=None)
@given(
    actor=st.sampled_from(PARTIES),
    together=st.lists(st.sampled_from(PARTIES), max_size=1, unique=True),
    criteria=st.lists(st.sampled_from(CRITERIA), max_size=2, unique=True),
)
def test_a_refusal_names_the_rule_that_passed_most_guards(
    actor: str, together: list[str], criteria: list[str]
) -> None:
    """Whatever is asked: accepted by the first candidate all guards admit, or refused
    with the refusal of the candidate that passed most guards, the first on a tie."""
    policy = load_policy(CARD)
    case = in_fase2(policy)
    command = Escalate(
        actor=actor, together=[p for p in together if p != actor], to="fase3", criteria=criteria
    )
    candidates = ["opschalen-2-3", "opschalen-2-3-onrust"]
    verdicts = [_passes(policy, case, rule, command) for rule in candidates]
    event, refusal = _outcome(case, command)
    if refusal is not None:
        assert not any(ok for _, ok in verdicts)
        assert [rule for rule, _ in refusal.tried] == candidates
        counts = [count for count, _ in verdicts]
        assert refusal.rule == candidates[counts.index(max(counts))]
        assert max(counts) < len(GUARDS)
        assert type(refusal) is type(dict(refusal.tried)[refusal.rule])
    else:
        assert event is not None
        admitted = [rule for rule, (_, ok) in zip(candidates, verdicts, strict=True) if ok]
        assert event.rule == admitted[0]


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.mark.usefixtures("_restore_logging")
def test_case_send_json_lists_every_rule_tried(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "240", "NO_COLOR": "1", "TERM": "dumb"})
    db = ["--db", f"sqlite:///{tmp_path / 'cases.db'}", "--policy", str(CARD)]
    steps = [
        ["new", "c-1", "--actor", "wijkteam", "--member", "kind:jeugd"],
        [
            "send",
            "c-1",
            '{"type": "escalate", "actor": "wijkteam", "to": "fase2", '
            '"criteria": ["hulpbehoefte"]}',
        ],
    ]
    for args in steps:
        assert runner.invoke(app, ["case", *args, *db]).exit_code == 0
    command = (
        '{"type": "escalate", "actor": "burgemeester", "to": "fase3", '
        '"criteria": ["stagnatie-hulp"]}'
    )
    result = runner.invoke(app, ["case", "send", "c-1", command, *db, "--json"])
    assert result.exit_code == 1
    refused = json.loads(result.stdout)
    assert (refused["error"], refused["rule"]) == ("CriteriaNotMet", "opschalen-2-3-onrust")
    assert [(t["rule"], t["error"]) for t in refused["tried"]] == [
        ("opschalen-2-3", "NotAuthorized"),
        ("opschalen-2-3-onrust", "CriteriaNotMet"),
    ]


def test_the_hosts_state_machine_runs_the_card_of_competing_rules(card: Policy) -> None:
    """``regiekaart.testing`` checks after each command that a refusal changed nothing
    and that a restored case refuses alike, naming the same rule."""
    from hypothesis import HealthCheck, Phase

    from regiekaart.testing import run_policy_state_machine

    run_policy_state_machine(
        card,
        members=[KIND],
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
