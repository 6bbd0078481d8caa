"""Holders that follow the household: choices with a condition in cells and dominance.

§2.3.3: "de wethouder Jeugd voor jeugd en gezinszaken, de wethouder Wmo voor
volwassenen of de burgemeester voor zaken die de openbare orde en veiligheid
betreffen". The universal card says so in its dominance options; a cell may say the
same of its default holders. A choice names parties the cell allows and a condition on
what the card declares, or the card is refused at the line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from case_stories import MACHINES, to_fase2, to_fase3
from regiekaart import Case, Escalate, Member, Policy, PolicyError, StepClock, load_policy

ADULTS = (Member(id="a", group="volwassen"), Member(id="b", group="volwassen"))
FAMILY = (Member(id="ouder", group="volwassen"), Member(id="kind", group="jeugd"))


@pytest.fixture(scope="module")
def universeel() -> Policy:
    return load_policy(MACHINES / "universeel.yaml")


def _fase3(policy: Policy, members: tuple[Member, ...], dominance: str) -> Case:
    case = Case.create(policy, "k", actor="wijkteam", members=members, clock=StepClock())
    to_fase2(case)
    to_fase3(case, dominance=dominance)
    return case


@pytest.mark.parametrize(
    ("members", "dominance", "holder"),
    [
        (ADULTS, "huiselijk-geweld", "wethouder-wmo"),
        (FAMILY, "huiselijk-geweld", "wethouder-jeugd"),
        (ADULTS, "zorg", "wethouder-wmo"),
        (FAMILY, "zorg", "wethouder-jeugd"),
        (ADULTS, "veiligheid", "burgemeester"),
        (FAMILY, "veiligheid", "burgemeester"),
    ],
)
def test_the_bestuurlijk_verantwoordelijke_follows_the_household(
    universeel: Policy, members: tuple[Member, ...], dominance: str, holder: str
) -> None:
    case = _fase3(universeel, members, dominance)
    assert case.state.roles["bestuurlijk_verantwoordelijk"] == (holder,)
    # The snapshot of a case with a holder from a choice restores as it is.
    assert Case.restore(universeel, case.snapshot()).state == case.state


CELL = """\
regiekaart: 2
extends: universeel
id: keuze
title: Keuze per huishouden
phases:
  fase3:
    roles:
      bestuurlijk_verantwoordelijk:
        from_dominance: true
        keep: false
        holders:
          - {if: {members: jeugd}, holders: [wethouder-jeugd]}
          - {holders: [wethouder-wmo]}
        eligible: [wethouder, wethouder-jeugd, wethouder-wmo, burgemeester, college]
"""


def _card(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keuze.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("members", "holder"), [(ADULTS, "wethouder-wmo"), (FAMILY, "wethouder-jeugd")]
)
def test_a_cells_default_holders_may_follow_the_household(
    tmp_path: Path, members: tuple[Member, ...], holder: str
) -> None:
    policy = load_policy(_card(tmp_path, CELL))
    case = Case.create(policy, "k", actor="wijkteam", members=members, clock=StepClock())
    to_fase2(case)
    case.apply(
        Escalate(
            actor="wijkteam",
            together=["gemeentelijk-procesregisseur"],
            to="fase3",
            criteria=["stagnatie-samenwerking"],
        )
    )
    assert case.state.facts.dominance is None
    assert case.state.roles["bestuurlijk_verantwoordelijk"] == (holder,)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        ("{members: jeugd}", "unknown member group 'kinderen'"),
        ("[wethouder-jeugd]}", "holder 'rechter' is not in eligible"),
        ("- {holders: [wethouder-wmo]}", "could be left without a holder"),
        ("{members: jeugd}, holders", "no decision sets the fact 'nergens'"),
    ],
)
def test_a_wrong_choice_is_refused_at_its_line(tmp_path: Path, wrong: str, message: str) -> None:
    replacement = {
        "{members: jeugd}": "{members: kinderen}",
        "[wethouder-jeugd]}": "[rechter]}",
        "- {holders: [wethouder-wmo]}": "- {if: {measures: none}, holders: [wethouder-wmo]}",
        "{members: jeugd}, holders": "{fact: nergens}, holders",
    }[wrong]
    path = _card(tmp_path, CELL.replace(wrong, replacement, 1))
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert message in str(raised.value)
    assert "keuze.yaml:1" in str(raised.value)
