"""The holders a transition assigns: eligible where the step leads, at load time and on
every step.

A step within a phase (``change``) puts the holders its rule assigns in place as they
are, so the card is refused when one may not hold the role there, and the runtime
refuses the step in a configuration where one may not. An escalation uses an
assignment only where it is eligible in the target ("used when eligible"): the card is
refused only when no cell of the target could ever take it.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from competing_support import CARD, in_fase2, variant
from regiekaart import (
    ChangeLevel,
    IneligibleHolder,
    Policy,
    PolicyError,
    load_policy,
)
from regiekaart.policy._assign import governing_cells

CHANGE_ASSIGN = "assign: {procesregie: [mass-oggz]}"
ESCALATE_ASSIGN = "assign: {casusregie: [wijkteam]}"


def load_errors(path: Path) -> list[PolicyError]:
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    return list(getattr(raised.value, "errors", [raised.value]))


def test_a_change_assigning_an_ineligible_party_is_a_located_card_error(tmp_path: Path) -> None:
    path = variant(tmp_path, CHANGE_ASSIGN, "assign: {procesregie: [burgemeester]}")
    [error] = load_errors(path)
    assert error.path == "transitions.opschalen-binnen-2.assign.procesregie[0]"
    assert str(error.file).endswith("variant.yaml")
    assert error.line is not None
    line = path.read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert "burgemeester" in line
    assert "'burgemeester' may not hold procesregie in fase2" in error.message


def test_a_change_must_assign_a_party_eligible_in_every_sub_state(tmp_path: Path) -> None:
    """From fase2 the governing casusregie cell is the vrijwillig or the gedwongen one:
    the wijkteam may not hold it in the gedwongen kader, so the rule must leave from
    fase2.vrijwillig to assign it."""
    path = variant(
        tmp_path, CHANGE_ASSIGN, "assign: {procesregie: [mass-oggz], casusregie: [wijkteam]}"
    )
    [error] = load_errors(path)
    assert error.path == "transitions.opschalen-binnen-2.assign.casusregie[0]"
    assert "may not hold casusregie in fase2.gedwongen;" in error.message
    fixed = variant(
        tmp_path,
        "    from: fase2\n    deciders: [wijkteam, role:casusregie]",
        "    from: fase2.vrijwillig\n    deciders: [wijkteam, role:casusregie]",
    )
    text = fixed.read_text(encoding="utf-8").replace(
        CHANGE_ASSIGN, "assign: {procesregie: [mass-oggz], casusregie: [wijkteam]}"
    )
    fixed.write_text(text, encoding="utf-8")
    assert load_policy(fixed).transitions["opschalen-binnen-2"].assign["casusregie"] == (
        "wijkteam",
    )


def test_an_escalation_assignment_no_target_cell_takes_is_a_card_error(tmp_path: Path) -> None:
    [error] = load_errors(
        variant(tmp_path, ESCALATE_ASSIGN, "assign: {casusregie: [burgemeester]}")
    )
    assert error.path == "transitions.opschalen-1-2.assign.casusregie[0]"
    assert "never used" in error.message
    assert "fase2.gedwongen, fase2.vrijwillig" in error.message


def test_an_escalation_may_assign_a_party_eligible_in_one_frame_only(card: Policy) -> None:
    """The wijkteam takes casusregie in the vrijwillig kader; in the gedwongen kader the
    measure's party does (§2.3): the card is fine."""
    assert card.transitions["opschalen-1-2"].assign == {"casusregie": ("wijkteam",)}


def test_assigning_a_role_the_target_does_not_hold_is_a_card_error(tmp_path: Path) -> None:
    old = 'criteria: [veiligheid-hersteld]\n    source: "§2.3.2"'
    new = (
        "criteria: [veiligheid-hersteld]\n    assign: {procesregie: [mass-oggz]}\n"
        '    source: "§2.3.2"'
    )
    [error] = load_errors(variant(tmp_path, old, new))
    assert error.path == "transitions.afschalen-2-1.assign.procesregie"
    assert "procesregie is not held in fase1" in error.message


@pytest.fixture(scope="module")
def card() -> Policy:
    return load_policy(CARD)


def test_the_cells_that_may_govern_a_role_below_a_state(card: Policy) -> None:
    assert set(governing_cells(card, "fase2", "casusregie")) == {
        "fase2.vrijwillig",
        "fase2.gedwongen",
    }
    assert set(governing_cells(card, "fase2.gedwongen", "procesregie")) == {"fase2"}
    assert governing_cells(card, "fase1", "procesregie") == {}


def _bypassing_the_load_check(card: Policy, party: str) -> Policy:
    rule = attrs.evolve(card.transitions["opschalen-binnen-2"], assign={"procesregie": (party,)})
    return attrs.evolve(card, transitions={**card.transitions, rule.id: rule})


def test_the_runtime_refuses_a_change_whose_assigned_holder_is_ineligible(card: Policy) -> None:
    """A card the load check would refuse (built in memory): the step is refused, naming
    the rule; before, the burgemeester became procesregisseur."""
    policy = _bypassing_the_load_check(card, "burgemeester")
    case = in_fase2(policy)
    before = case.snapshot()
    with pytest.raises(IneligibleHolder) as raised:
        case.apply(ChangeLevel(actor="wijkteam", direction="up", criteria=["stagnatie-hulp"]))
    assert (raised.value.rule, raised.value.source) == ("opschalen-binnen-2", "§2.3.2")
    assert "assigns procesregie to burgemeester" in raised.value.message
    assert "eligible: mass-oggz, veilig-thuis" in raised.value.message
    assert case.snapshot() == before


def test_a_chosen_holder_replaces_the_assigned_one(card: Policy) -> None:
    policy = _bypassing_the_load_check(card, "burgemeester")
    case = in_fase2(policy)
    case.apply(
        ChangeLevel(
            actor="wijkteam",
            direction="up",
            criteria=["stagnatie-hulp"],
            holders={"procesregie": ["veilig-thuis"]},
        )
    )
    assert case.state.roles["procesregie"] == ("veilig-thuis",)


def test_an_eligible_assignment_is_put_in_place(card: Policy) -> None:
    case = in_fase2(card)
    event = case.apply(ChangeLevel(actor="wijkteam", direction="up", criteria=["stagnatie-hulp"]))
    assert event.rule == "opschalen-binnen-2"
    assert case.state.roles["procesregie"] == ("mass-oggz",)
