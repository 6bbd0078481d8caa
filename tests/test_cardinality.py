"""How many hold a role, and who chairs them: "casusregie by two or three professionals
in a regiegroep", chaired by the procesregisseur (§2.3.3).

The card of docs/policy-format.md with its regiegroep is played here: a step that would
leave too few or too many casusregisseurs, or a group without its chair, is refused with
the role, the count and what the card allows, and leaves the case as it was; the load
errors point at the key; the check kinds, the explorer, the testing vocabulary and the
renderers read the same bounds.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart import (
    Appoint,
    Case,
    ChairRequired,
    Escalate,
    HolderRequired,
    HoldersOutOfBounds,
    IneligibleHolder,
    Member,
    Policy,
    PolicyError,
    load_policy,
)
from regiekaart.analysis.enumeration import enumerate_commands, sized_groups
from regiekaart.analysis.invariants import violations
from regiekaart.analysis.situations import deciding_roles, party_classes
from regiekaart.policy.cardinality import Bounds, bounds, chair, constrained, ordered_roles
from regiekaart.render.formats import TEXT_FORMATS
from regiekaart.render.view import card_view, count_words

DOC = Path(__file__).resolve().parent.parent / "docs" / "policy-format.md"
MEMBERS = (Member(id="moeder", group="volwassen"), Member(id="kind", group="jeugd"))
ELIGIBLE = ["gecertificeerde-instelling", "mass-oggz", "veilig-thuis", "wijkteam"]


def _doc_cards(folder: Path) -> Path:
    """The small card and the regiegroep card of the format documentation, as files."""
    text = DOC.read_text(encoding="utf-8")
    small = re.search(r"```yaml\n(# file: kaart\.yaml\n.*?)```", text, re.S)
    group = re.search(r"```yaml\n(# card: regiegroep\.yaml\n.*?)```", text, re.S)
    assert small
    assert group
    (folder / "kaart.yaml").write_text(small.group(1), encoding="utf-8")
    (folder / "regiegroep.yaml").write_text(group.group(1), encoding="utf-8")
    return folder / "regiegroep.yaml"


@pytest.fixture(scope="module")
def regiegroep(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return load_policy(_doc_cards(tmp_path_factory.mktemp("doc")))


def _card(folder: Path, body: str, name: str = "kaart-test.yaml") -> Path:
    """A card extending the documentation's small card with ``body``."""
    _doc_cards(folder)
    path = folder / name
    head = "regiekaart: 2\nextends: kaart\nid: test\ntitle: Test\n"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def _in_fase2(policy: Policy) -> Case:
    case = Case.create(policy, "casus-1", actor="wijkteam", members=MEMBERS)
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    return case


def _to_fase3(**holders: tuple[str, ...]) -> Escalate:
    return Escalate(
        actor="wijkteam",
        together=("veilig-thuis",),
        to="fase3",
        criteria=("huiselijk-geweld",),
        dominance="huiselijk-geweld",
        holders=holders,
    )


# -- the runtime -----------------------------------------------------------------------------


def test_the_one_casusregisseur_of_fase2_does_not_make_a_regiegroep(regiegroep: Policy) -> None:
    """§2.3.3: in fase 3 two or three professionals; the kept wijkteam alone is refused."""
    case = _in_fase2(regiegroep)
    before = case.snapshot()
    with pytest.raises(HoldersOutOfBounds) as refused:
        case.apply(_to_fase3())
    error = refused.value
    assert (error.role, error.count, error.least, error.most) == ("casusregie", 1, 2, 3)
    assert isinstance(error, IneligibleHolder)
    assert error.rule == "opschalen-2-3"
    assert str(error) == (
        "casusregie would have 1 holder; the card allows 2 to 3 here: choose them among "
        f"{', '.join(ELIGIBLE)}; rule opschalen-2-3 (§2.3.2)"
    )
    assert str(error) in DOC.read_text(encoding="utf-8")
    assert case.snapshot() == before


def test_a_regiegroep_is_entered_with_two_or_three_chosen(regiegroep: Policy) -> None:
    case = _in_fase2(regiegroep)
    event = case.apply(_to_fase3(casusregie=("wijkteam", "veilig-thuis")))
    assert event.rule == "opschalen-2-3"
    assert case.roles["casusregie"] == ("wijkteam", "veilig-thuis")
    assert violations(case) == []


def test_four_casusregisseurs_are_one_too_many(regiegroep: Policy) -> None:
    case = _in_fase2(regiegroep)
    before = case.snapshot()
    with pytest.raises(HoldersOutOfBounds, match="4 holders; the card allows 2 to 3 here"):
        case.apply(_to_fase3(casusregie=tuple(ELIGIBLE)))
    assert case.snapshot() == before


def test_an_appointment_is_held_to_the_bounds_too(regiegroep: Policy) -> None:
    """The procesregisseur appoints the regiegroep; one casusregisseur alone is refused."""
    case = _in_fase2(regiegroep)
    case.apply(_to_fase3(casusregie=("wijkteam", "veilig-thuis")))
    before = case.snapshot()
    with pytest.raises(HoldersOutOfBounds) as refused:
        case.apply(
            Appoint(actor="veilig-thuis", role="casusregie", holders={"casusregie": ("mass-oggz",)})
        )
    assert refused.value.rule == "appoint:casusregie"
    assert case.snapshot() == before
    case.apply(
        Appoint(
            actor="veilig-thuis",
            role="casusregie",
            holders={"casusregie": ("wijkteam", "mass-oggz", "veilig-thuis")},
        )
    )
    assert len(case.roles["casusregie"]) == 3


@settings(max_examples=40, deadline=None, derandomize=True)
@given(group=st.lists(st.sampled_from(ELIGIBLE), min_size=1, max_size=4, unique=True))
def test_any_chosen_group_is_accepted_exactly_when_it_has_two_or_three(
    tmp_path_factory: pytest.TempPathFactory, group: list[str]
) -> None:
    """The invariant of the bounds: accepted iff 2 ≤ n ≤ 3; refused changes nothing."""
    policy = _policy_once(tmp_path_factory)
    case = _in_fase2(policy)
    before = case.snapshot()
    if 2 <= len(group) <= 3:
        case.apply(_to_fase3(casusregie=tuple(group)))
        assert case.roles["casusregie"] == tuple(group)
        return
    with pytest.raises(HoldersOutOfBounds) as refused:
        case.apply(_to_fase3(casusregie=tuple(group)))
    assert refused.value.count == len(group)
    assert case.snapshot() == before


_ONCE: dict[str, Policy] = {}


def _policy_once(factory: pytest.TempPathFactory) -> Policy:
    if "card" not in _ONCE:
        _ONCE["card"] = load_policy(_doc_cards(factory.mktemp("prop")))
    return _ONCE["card"]


def test_a_group_without_its_chair_is_refused(tmp_path: Path) -> None:
    """Two casusregisseurs in fase 2 are a group; the card has the procesregisseur chair
    it, and procesregie is only there when needed: without it the step is refused."""
    card = _card(
        tmp_path,
        """
        phases:
          fase2:
            substates:
              states:
                vrijwillig:
                  roles:
                    casusregie:
                      eligible: [client, wijkteam, veilig-thuis]
                      chair: procesregie
        """,
    )
    policy = load_policy(card)
    case = Case.create(policy, "casus-1", actor="wijkteam", members=MEMBERS)
    before = case.snapshot()
    with pytest.raises(ChairRequired) as refused:
        case.apply(
            Escalate(
                actor="wijkteam",
                to="fase2",
                criteria=("hulpbehoefte",),
                holders={"casusregie": ("wijkteam", "veilig-thuis")},
            )
        )
    assert (refused.value.role, refused.value.chair) == ("casusregie", "procesregie")
    assert isinstance(refused.value, HolderRequired)
    assert "nobody would hold procesregie" in str(refused.value)
    assert case.snapshot() == before
    case.apply(
        Escalate(
            actor="wijkteam",
            to="fase2",
            criteria=("hulpbehoefte",),
            holders={"casusregie": ("wijkteam", "veilig-thuis"), "procesregie": ("mass-oggz",)},
        )
    )
    assert case.roles["procesregie"] == ("mass-oggz",)


def test_a_cell_with_min_holders_and_no_default_is_chosen_on_entry(tmp_path: Path) -> None:
    card = _card(
        tmp_path,
        """
        phases:
          fase3:
            roles:
              casusregie:
                holders: null
                keep: false
                eligible: [wijkteam, veilig-thuis, mass-oggz]
                min_holders: 2
        """,
    )
    case = _in_fase2(load_policy(card))
    with pytest.raises(HolderRequired, match="choose at least 2 of mass-oggz, veilig-thuis"):
        case.apply(_to_fase3())
    case.apply(_to_fase3(casusregie=("wijkteam", "mass-oggz")))


# -- the card --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (
            "roles:\n  casusregie: {min_holders: 3, max_holders: 2}\n",
            "roles.casusregie.min_holders",
            "min_holders 3 is more than max_holders 2",
        ),
        (
            "phases:\n  fase3:\n    roles:\n      casusregie: {min_holders: 2}\n",
            "phases.fase3.roles.casusregie.holders",
            "1 default holder, but the card allows at least 2 holders of casusregie in fase3",
        ),
        (
            "phases:\n  fase3:\n    roles:\n      casusregie: {chair: casusregie}\n",
            "phases.fase3.roles.casusregie.chair",
            "casusregie cannot chair itself",
        ),
        (
            "roles:\n  casusregie: {chair: regiegroep}\n",
            "roles.casusregie.chair",
            "unknown role 'regiegroep'",
        ),
        (
            "roles:\n  casusregie: {order: 1}\n  procesregie: {order: 1}\n",
            "roles.procesregie.order",
            "order 1 is also the order of casusregie",
        ),
        (
            "phases:\n  fase1:\n    roles:\n      casusregie:\n"
            "        {holders: null, min_holders: 1, eligible: [client]}\n",
            "phases.fase1.roles.casusregie",
            "a case opens in fase1, so casusregie needs default holders here",
        ),
        (
            "invariants:\n  x:\n    title: x\n    checks:\n"
            "      - holders_between: {role: casusregie, min: 3, max: 2, in: [fase3]}\n",
            "invariants.x.checks[0].holders_between",
            "min 3 is more than max 2",
        ),
        (
            "invariants:\n  x:\n    title: x\n    checks:\n"
            "      - holders_between: {role: casusregie, min: two, in: [fase3]}\n",
            "invariants.x.checks[0].holders_between",
            "min must be a whole number of holders",
        ),
    ],
)
def test_what_the_card_cannot_say_is_a_located_error(
    tmp_path: Path, body: str, path: str, message: str
) -> None:
    card = _card(tmp_path, body)
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    errors = getattr(raised.value, "errors", [raised.value])
    found = [e for e in errors if e.path == path and message in e.message]
    assert found, [str(e) for e in errors]
    assert found[0].line


def test_version_1_writes_no_limit_as_zero_and_version_2_leaves_it_out(tmp_path: Path) -> None:
    _doc_cards(tmp_path)
    older = tmp_path / "oud.yaml"
    older.write_text(
        "regiekaart: 1\nextends: kaart\nid: oud\ntitle: Oud\n"
        "roles:\n  casusregie: {title: Casusregie, max_holders: 0}\n",
        encoding="utf-8",
    )
    assert load_policy(older).roles["casusregie"].max_holders == 0
    now = tmp_path / "nu.yaml"
    now.write_text(older.read_text("utf-8").replace("regiekaart: 1", "regiekaart: 2"), "utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(now)
    assert raised.value.path == "roles.casusregie.max_holders"
    assert "leave max_holders out for no limit" in raised.value.message
    assert raised.value.line == 6


# -- everything that reads the card ----------------------------------------------------------


def test_the_bounds_and_their_words() -> None:
    assert Bounds().allows(0)
    assert Bounds().allows(5)
    assert not Bounds().stated
    assert [count_words(b) for b in (Bounds(2, 3), Bounds(2, 2), Bounds(2), Bounds(1, 3))] == [
        "2–3 houders",
        "2 houders",
        "ten minste 2 houders",
        "ten hoogste 3 houders",
    ]
    assert count_words(Bounds()) == ""


def test_the_role_cell_states_its_bounds_over_the_role(regiegroep: Policy) -> None:
    cell = regiegroep.states["fase3"].roles["casusregie"]
    assert bounds(regiegroep, cell) == Bounds(2, 3)
    assert bounds(regiegroep, regiegroep.states["fase1"].roles["casusregie"]) == Bounds()
    assert ordered_roles(regiegroep)[:2] == ["procesregie", "casusregie"]


def test_the_explorer_tries_groups_that_meet_and_break_the_bounds(regiegroep: Policy) -> None:
    cell = regiegroep.states["fase3"].roles["casusregie"]
    groups = sized_groups(regiegroep, cell, party_classes(regiegroep))
    assert sorted(len(g) for g in groups) == [2, 3, 4]
    assert "casusregie" in deciding_roles(regiegroep)
    case = _in_fase2(regiegroep)
    tried = [
        c.holders.get("casusregie")
        for c in enumerate_commands(regiegroep, case.state)
        if isinstance(c, Escalate) and c.to == "fase3"
    ]
    sizes = {len(h) for h in tried if h}
    assert {1, 3, 4} <= sizes


def test_the_renderers_show_the_regiegroep_and_its_chair(regiegroep: Policy) -> None:
    view = card_view(regiegroep)
    assert [row.role for row in view.rows][:2] == ["procesregie", "casusregie"]
    cell = next(p.cell for rc in view.rows[1].cells for p in rc.parts if p.state == "fase3")
    assert (cell.count, cell.chair) == ("2–3 houders", "voorzitter: houder van procesregie")
    for fmt in ("md", "html"):
        text = TEXT_FORMATS[fmt](view)
        assert "2–3 houders" in text
        assert "voorzitter: houder van procesregie" in text


def test_the_roles_a_configuration_constrains_are_those_whose_cells_bound_or_chair(
    regiegroep: Policy,
) -> None:
    """:func:`constrained` (remembered per card) names exactly the roles whose cell, under
    each configuration, states bounds beyond one or a chair, so the runtime's check of
    every step finds what a check over every role would."""
    configurations = {
        frozenset(s.id for s in regiegroep.ancestors(sid)) for sid in regiegroep.states
    }
    seen_any = False
    for active in configurations:
        expected = []
        for role in regiegroep.roles:
            cell = regiegroep.role_cell(active, role)
            if cell is not None and (bounds(regiegroep, cell).stated or chair(regiegroep, cell)):
                expected.append(role)
        assert [c[0] for c in constrained(regiegroep, active)] == expected
        assert constrained(regiegroep, active) is constrained(regiegroep, active)
        seen_any = seen_any or bool(expected)
    assert seen_any
