"""Decisions and activities scoped to a sub-state, not only to a phase.

``plan-gedwongen-kader`` and ``signaal-gedwongen`` on ``tests/cards/competing-rules.yaml``
belong to the gedwongen kader of fase 2 (§2.3.2): taken there, refused in the vrijwillig
kader with the rule and where it is allowed, and tried by the explorer only there.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from competing_support import CARD, in_fase2, variant
from regiekaart import (
    Case,
    ImposeMeasure,
    Policy,
    PolicyError,
    RecordDecision,
    Signal,
    TransitionNotAllowed,
    load_policy,
)
from regiekaart.analysis.enumeration import Scope, enumerate_commands
from regiekaart.verify.diff import card_changes

PLAN = RecordDecision(actor="gecertificeerde-instelling", decision="plan-gedwongen-kader")


@pytest.fixture(scope="module")
def card() -> Policy:
    return load_policy(CARD)


def gedwongen(policy: Policy) -> Case:
    case = in_fase2(policy)
    case.apply(ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"))
    assert "fase2.gedwongen" in case.state.configuration
    return case


def test_a_decision_of_a_sub_state_is_taken_there_and_sets_its_fact(card: Policy) -> None:
    case = gedwongen(card)
    event = case.apply(PLAN)
    assert (event.rule, event.source) == ("plan-gedwongen-kader", "§2.3.2")
    assert case.state.facts.has("plan-gedwongen-kader")


def test_a_decision_outside_its_states_names_the_rule_and_where_it_is_taken(
    card: Policy,
) -> None:
    case = in_fase2(card)
    before = case.snapshot()
    with pytest.raises(TransitionNotAllowed) as raised:
        case.apply(RecordDecision(actor="wijkteam", decision="plan-gedwongen-kader"))
    refusal = raised.value
    assert (refusal.rule, refusal.source) == ("plan-gedwongen-kader", "§2.3.2")
    assert "is taken only in fase2.gedwongen" in refusal.message
    assert "the case is in fase2, fase2.vrijwillig" in refusal.message
    assert case.snapshot() == before


def test_an_activity_of_a_sub_state_is_recorded_only_there(card: Policy) -> None:
    signal = Signal(actor="gecertificeerde-instelling", activity="signaal-gedwongen")
    with pytest.raises(TransitionNotAllowed) as raised:
        in_fase2(card).apply(signal)
    assert (raised.value.rule, raised.value.source) == ("signaal-gedwongen", "§2.3.2")
    assert "recorded only in fase2.gedwongen" in raised.value.message
    assert gedwongen(card).apply(signal).rule == "signaal-gedwongen"


def test_the_explorer_tries_a_scoped_decision_only_where_it_is_allowed(card: Policy) -> None:
    scope = Scope(records=True)

    def tried(case: Case) -> set[str]:
        commands = enumerate_commands(card, case.state, scope=scope)
        return {
            getattr(c, "decision", None) or getattr(c, "activity", None) or "" for c in commands
        }

    assert not {"plan-gedwongen-kader", "signaal-gedwongen"} & tried(in_fase2(card))
    assert {"plan-gedwongen-kader", "signaal-gedwongen"} <= tried(gedwongen(card))


def test_a_version_1_card_names_sub_states_with_the_same_key(tmp_path: Path) -> None:
    path = variant(tmp_path, "regiekaart: 2", "regiekaart: 1")
    assert load_policy(path).decisions["plan-gedwongen-kader"].in_states == ("fase2.gedwongen",)


@pytest.mark.parametrize(
    ("scoped", "path", "message"),
    [
        ("fase2.verplicht", "decisions.plan-gedwongen-kader.in[0]", "unknown phase or sub-state"),
        ("fase2..gedwongen", "decisions.plan-gedwongen-kader.in[0]", "does not match"),
        ("fase2.", "decisions.plan-gedwongen-kader.in[0]", "does not match"),
    ],
)
def test_a_scope_that_names_no_state_is_a_located_error(
    tmp_path: Path, scoped: str, path: str, message: str
) -> None:
    card = variant(
        tmp_path,
        "    by: [role:casusregie]\n    in: [fase2.gedwongen]",
        f"    by: [role:casusregie]\n    in: [{scoped}]",
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    errors = getattr(raised.value, "errors", [raised.value])
    assert [(e.path, message in e.message) for e in errors] == [(path, True)]
    assert errors[0].line is not None


def test_a_changed_scope_is_a_change_of_the_card(card: Policy) -> None:
    widened = attrs.evolve(
        card.decisions["plan-gedwongen-kader"], in_states=("fase2.gedwongen", "fase2.vrijwillig")
    )
    new = attrs.evolve(card, decisions={**card.decisions, widened.id: widened})
    changes = card_changes(card, new)
    assert [(c.kind, c.where, c.what) for c in changes] == [
        ("decision", "plan-gedwongen-kader", "changed: in")
    ]
