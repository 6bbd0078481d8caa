"""Informing duties that are moot: the recipient acted itself, or the case left the state.

§2.3.3 and §2.3.4: the burgemeester who declares fase 4 need not be told of it, the
ambtenaar OOV who escalates a case he was to be told of knows of it, and a duty to tell
the burgemeester of fase 4 means nothing once the case is back in fase 3. A card says so
per duty (``closes_when``); the event records why the duty closed, and a card that does
not say so keeps its duties open until informed, as stored cases were decided.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from case_stories import MACHINES, calamity, open_case, plan_fase3, to_fase2, to_fase3
from regiekaart import Case, Deescalate, Escalate, Inform, Policy, PolicyError, load_policy
from regiekaart.runtime.records import structure_event, unstructure

CARD = """\
regiekaart: 2
extends: universeel
id: moot
title: Plichten die vervallen
obligations:
  oov-en-wethouder-informeren:
    title: OOV en de bestuurlijk verantwoordelijke geïnformeerd
    on_enter: fase3
    when_role: procesregie
    when_holders: [veiligheidshuis, veilig-thuis, mass-oggz]
    inform: [ambtenaar-oov, role:bestuurlijk_verantwoordelijk]
    by_role: procesregie
    closes_when: [recipient_acts, state_left]
    source: "§2.3.3"
  burgemeester-bij-fase4:
    title: Bij fase 4 wordt de burgemeester geïnformeerd
    on_enter: fase4
    inform: [burgemeester]
    by_role: procesregie
    closes_when: [recipient_acts, state_left]
    source: "§2.3.3, §2.3.4"
"""


@pytest.fixture(scope="module")
def moot(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("moot") / "moot.yaml"
    path.write_text(CARD, encoding="utf-8")
    return load_policy(path)


def _open(case: Case) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for duty in case.state.obligations:
        out.setdefault(duty.obligation, set()).add(duty.recipient)
    return out


def test_a_recipient_who_takes_the_step_is_not_owed_it(moot: Policy) -> None:
    case = Case.create(moot, "k", actor="politie", members=open_case(moot).state.members)
    event = case.apply(Escalate(actor="burgemeester", to="fase4", criteria=["totale-escalatie"]))
    assert "burgemeester-bij-fase4" not in _open(case)
    (told,) = [i for i in event.informed if i.obligation == "burgemeester-bij-fase4"]
    assert told.done
    assert told.by == ("burgemeester",)


def test_a_duty_to_a_party_that_acts_later_closes_on_its_step(moot: Policy) -> None:
    case = open_case(moot)
    to_fase2(case)
    to_fase3(case)
    # Veilig Thuis took procesregie: the OOV and the wethouder Jeugd (who holds the
    # household's portfolio under this dominance) are to be told.
    assert _open(case)["oov-en-wethouder-informeren"] == {"ambtenaar-oov", "wethouder-jeugd"}
    event = case.apply(Escalate(actor="ambtenaar-oov", to="fase4", criteria=["dreigende-onrust"]))
    assert "oov-en-wethouder-informeren:ambtenaar-oov" in event.fulfilled
    # The wethouder's duty was one of fase 3, which the case left: closed as moot.
    assert event.lapsed == ("oov-en-wethouder-informeren:wethouder-jeugd",)
    assert "oov-en-wethouder-informeren" not in _open(case)


def test_a_duty_of_a_phase_lapses_when_the_case_leaves_it_and_the_event_says_so(
    moot: Policy,
) -> None:
    case = open_case(moot)
    calamity(case)
    assert _open(case)["burgemeester-bij-fase4"] == {"burgemeester"}
    plan_fase3(case)
    event = case.apply(
        Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"])
    )
    # The burgemeester decided the step back himself: met, not lapsed.
    assert "burgemeester-bij-fase4:burgemeester" in event.fulfilled
    assert "burgemeester-bij-fase4" not in _open(case)
    # Round trip of the event with what it closed.
    assert structure_event(unstructure(event)) == event


def test_leaving_the_phase_closes_the_duty_as_lapsed(tmp_path: Path) -> None:
    path = tmp_path / "lapse.yaml"
    path.write_text(
        CARD.replace("inform: [burgemeester]", "inform: [communicatieadviseur]"), encoding="utf-8"
    )
    policy = load_policy(path)
    case = open_case(policy)
    calamity(case)
    assert _open(case)["burgemeester-bij-fase4"] == {"communicatieadviseur"}
    plan_fase3(case)
    event = case.apply(
        Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"])
    )
    assert event.lapsed == ("burgemeester-bij-fase4:communicatieadviseur",)
    assert "burgemeester-bij-fase4" not in _open(case)
    assert "lapsed" in unstructure(event)
    # Restoring the case from its own log gives the same state.
    assert Case.restore(policy, case.snapshot()).state == case.state


def test_without_closes_when_a_duty_stays_open_until_informed() -> None:
    policy = load_policy(MACHINES / "universeel.yaml")
    case = open_case(policy)
    event = case.apply(Escalate(actor="burgemeester", to="fase4", criteria=["totale-escalatie"]))
    assert _open(case)["burgemeester-bij-fase4"] == {"burgemeester"}
    assert "lapsed" not in unstructure(event)
    case.apply(Inform(actor="ambtenaar-oov", recipient="burgemeester"))
    assert "burgemeester-bij-fase4" not in _open(case)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("role:bestuurlijk_verantwoordelijk]", "unknown role 'bestuurlijk'"),
        ('closes_when: [recipient_acts, state_left]\n    source: "§2.3.3"', "closes_when"),
    ],
)
def test_a_wrong_recipient_or_closing_is_a_located_error(
    tmp_path: Path, change: str, message: str
) -> None:
    wrong = {
        "role:bestuurlijk_verantwoordelijk]": "role:bestuurlijk]",
        'closes_when: [recipient_acts, state_left]\n    source: "§2.3.3"': (
            'closes_when: [never]\n    source: "§2.3.3"'
        ),
    }[change]
    path = tmp_path / "wrong.yaml"
    path.write_text(CARD.replace(change, wrong, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert message in str(raised.value)
    assert "wrong.yaml:" in str(raised.value)
