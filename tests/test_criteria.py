"""Criteria expressions: "only when all three hold", "any one of these", "not when …".

§2.3.3 (Afschalen) names a combination for the step back to fase 2 — the help is
effective, co-operation runs again and the danger is reduced — where Bijlage 2 lists
reasons one by one. A rule says either, nested; optional criteria are recorded and never
required; a refusal names what is unmet; a card whose expression no decider could ever
meet is an error naming the rule.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from case_stories import MACHINES, open_case, to_fase2, to_fase3
from regiekaart import Case, CriteriaNotMet, Deescalate, Policy, PolicyError, load_policy
from regiekaart.analysis.enumeration import Scope, transition_commands
from regiekaart.policy.criteria import (
    AllOf,
    AnyOf,
    Expression,
    Not,
    describe,
    holds,
    ids,
    read,
    refusing_sets,
    satisfiable,
    shortfall,
    ways,
)

THREE = ("hulp-effectief", "stagnatie-opgeheven", "veiligheid-hersteld")


# -- the expression itself ---------------------------------------------------------------------


def test_a_list_is_any_one_and_a_mapping_an_expression_with_optional_criteria() -> None:
    assert read(["a", "b"]) == (AnyOf(("a", "b")), ())
    assert read([]) == (None, ())
    assert read(None) == (None, ())
    assert read({"all": ["a", {"any": ["b", {"not": "c"}]}], "optional": ["d"]}) == (
        AllOf(("a", AnyOf(("b", Not("c"))))),
        ("d",),
    )
    assert read({"optional": ["d", "e"]}) == (None, ("d", "e"))


def test_an_expression_holds_as_its_words_say() -> None:
    expression = AllOf(("a", AnyOf(("b", "c")), Not("d")))
    assert holds(expression, frozenset({"a", "b"}))
    assert holds(expression, frozenset({"a", "c", "e"}))
    assert not holds(expression, frozenset({"a"}))
    assert not holds(expression, frozenset({"a", "b", "d"}))
    assert ids(expression) == ("a", "b", "c", "d")
    assert describe(expression) == "all of: a, (one of: b, c), not d"


def test_the_refusal_names_the_unmet_part() -> None:
    assert shortfall(AllOf(THREE), frozenset(THREE[:2])) == (
        "needs all of: hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld"
        " — missing veiligheid-hersteld"
    )
    assert shortfall(AnyOf(("a", "b")), frozenset()) == "needs one of: a, b — none of them is met"
    nested = AllOf(("a", AnyOf(("b", "c"))))
    assert shortfall(nested, frozenset({"a"})) == (
        "needs all of: a, (one of: b, c) — missing one of: b, c"
    )
    assert shortfall(AllOf(("a", Not("b"))), frozenset({"a", "b"})) == (
        "needs all of: a, not b — b rules it out"
    )
    assert shortfall(nested, frozenset({"a", "c"})) is None


def test_a_smallest_set_per_way_and_the_sets_just_short_of_one() -> None:
    expression = AnyOf(("a", AllOf(("b", "c"))))
    assert ways(expression, 16) == [("a",), ("b", "c")]
    assert refusing_sets(expression, 16) == [(), ("b",), ("c",)]
    assert ways(AllOf(("a", Not("b"))), 16) == [("a",)]
    assert refusing_sets(AllOf(("a", Not("b"))), 16) == [(), ("a", "b")]
    assert ways(AllOf(("a", Not("a"))), 16) == []
    assert not satisfiable(AllOf(("a", Not("a"))))
    assert satisfiable(Not(AllOf(("a", "b"))))


_IDS = st.sampled_from(["a", "b", "c", "d"])
_EXPRESSIONS: st.SearchStrategy[Expression] = st.recursive(
    _IDS,
    lambda parts: st.one_of(
        st.lists(parts, min_size=1, max_size=3).map(lambda p: AllOf(tuple(p))),
        st.lists(parts, min_size=1, max_size=3).map(lambda p: AnyOf(tuple(p))),
        parts.map(Not),
    ),
    max_leaves=8,
)


def _every_set(expression: Expression) -> list[frozenset[str]]:
    named = ids(expression)
    return [
        frozenset(chosen)
        for size in range(len(named) + 1)
        for chosen in itertools.combinations(named, size)
    ]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_EXPRESSIONS)
def test_what_the_explorer_tries_is_what_the_runtime_decides(expression: Expression) -> None:
    """Every way meets the expression and every set short of one does not; the semantic
    check calls an expression satisfiable exactly when some set of its criteria meets
    it; a refusal is given exactly when the expression does not hold."""
    for way in ways(expression, 16):
        assert holds(expression, frozenset(way))
    for short in refusing_sets(expression, 16):
        assert not holds(expression, frozenset(short))
    every = _every_set(expression)
    assert satisfiable(expression) == any(holds(expression, s) for s in every)
    assert bool(ways(expression, 16)) == satisfiable(expression)
    for chosen in every:
        assert (shortfall(expression, chosen) is None) == holds(expression, chosen)


# -- a card that uses it -----------------------------------------------------------------------


def _card(tmp_path: Path, criteria: str, version: int = 2, extra: str = "") -> Path:
    shutil.copy(MACHINES / "universeel.yaml", tmp_path / "universeel.yaml")
    card = tmp_path / "lokaal.yaml"
    card.write_text(
        f"regiekaart: {version}\nextends: universeel.yaml\nid: lokaal\ntitle: Lokaal\n"
        f"transitions:\n  afschalen-3-2:\n{criteria}{extra}",
        encoding="utf-8",
    )
    return card


ALL_THREE = """    criteria:
      all: [hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld]
      optional: [onrust-weg, huisvesting-in-zicht]
"""


@pytest.fixture
def lokaal(tmp_path: Path) -> Policy:
    return load_policy(_card(tmp_path, ALL_THREE))


def _in_fase3(policy: Policy) -> Case:
    case = open_case(policy)
    to_fase2(case)
    to_fase3(case)
    return case


def test_a_step_on_all_three_is_taken_with_the_optional_ones_recorded(lokaal: Policy) -> None:
    case = _in_fase3(lokaal)
    event = case.apply(
        Deescalate(actor="veilig-thuis", to="fase2", criteria=[*THREE, "onrust-weg"])
    )
    assert event.rule == "afschalen-3-2"
    assert event.command.criteria == (*THREE, "onrust-weg")
    assert "fase2" in case.state.configuration


@pytest.mark.parametrize(
    ("invoked", "said"),
    [
        (THREE[:2], "— missing veiligheid-hersteld"),
        (("onrust-weg",), "— missing hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld"),
        ((*THREE, "overlast"), "overlast is not a criterion of this step"),
    ],
)
def test_a_step_short_of_its_criteria_is_refused_naming_what_is_unmet(
    lokaal: Policy, invoked: tuple[str, ...], said: str
) -> None:
    case = _in_fase3(lokaal)
    before = case.snapshot()
    with pytest.raises(CriteriaNotMet) as refused:
        case.apply(Deescalate(actor="veilig-thuis", to="fase2", criteria=list(invoked)))
    assert said in str(refused.value)
    assert (refused.value.rule, refused.value.source) == ("afschalen-3-2", "§2.3.3, Bijlage 2")
    assert case.snapshot() == before


def test_only_optional_criteria_require_nothing_but_limit_what_is_named(tmp_path: Path) -> None:
    policy = load_policy(_card(tmp_path, "    criteria: {optional: [onrust-weg]}\n"))
    rule = policy.transitions["afschalen-3-2"]
    assert (rule.requirement, rule.criteria) == (None, ("onrust-weg",))
    case = _in_fase3(policy)
    with pytest.raises(CriteriaNotMet, match="hulp-effectief is not a criterion"):
        case.apply(Deescalate(actor="veilig-thuis", to="fase2", criteria=["hulp-effectief"]))
    case.apply(Deescalate(actor="veilig-thuis", to="fase2"))


@pytest.mark.parametrize(
    ("criteria", "said", "path"),
    [
        (
            "    criteria: {all: [hulp-effectief, {any: [onbekend]}]}\n",
            "unknown criterion 'onbekend'",
            "transitions.afschalen-3-2.criteria.all[1].any[0]",
        ),
        (
            "    criteria: {all: [hulp-effectief, {not: hulp-effectief}]}\n",
            "no set of criteria meets transition 'afschalen-3-2', which needs all of: "
            "hulp-effectief, not hulp-effectief",
            "transitions.afschalen-3-2.criteria",
        ),
        (
            "    criteria: {all: [hulp-effectief], optional: [hulp-effectief]}\n",
            "'hulp-effectief' is optional and required at once",
            "transitions.afschalen-3-2.criteria.optional[0]",
        ),
        (
            "    criteria: {all: [hulp-effectief], any: [onrust-weg]}\n",
            "at most one of all, any and not",
            "transitions.afschalen-3-2.criteria",
        ),
        ("    criteria: {not: null}\n", "", "transitions.afschalen-3-2.criteria.not"),
        ("    criteria: {all: []}\n", "", "transitions.afschalen-3-2.criteria.all"),
        ("    criteria: {}\n", "", "transitions.afschalen-3-2.criteria"),
        (
            "    criteria: {all: [hulp-effectief], some: [onrust-weg]}\n",
            "",
            "transitions.afschalen-3-2.criteria.some",
        ),
    ],
)
def test_a_criteria_expression_that_makes_no_sense_is_a_located_error(
    tmp_path: Path, criteria: str, said: str, path: str
) -> None:
    card = _card(tmp_path, criteria)
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    errors = getattr(raised.value, "errors", [raised.value])
    found = [e for e in errors if e.path == path]
    assert found, [str(e) for e in errors]
    assert said in str(found[0])
    assert (found[0].file, found[0].line) == (str(card), 7)


# -- version 1: criteria_mode --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version_1", "version_2"),
    [
        (
            "    criteria: [hulp-effectief, veiligheid-hersteld]\n    criteria_mode: all\n",
            "    criteria: {all: [hulp-effectief, veiligheid-hersteld]}\n",
        ),
        (
            "    criteria: [hulp-effectief, veiligheid-hersteld]\n    criteria_mode: any\n",
            "    criteria: [hulp-effectief, veiligheid-hersteld]\n",
        ),
        ("    criteria: [hulp-effectief]\n    criteria_mode: none\n", "    criteria: null\n"),
    ],
)
def test_criteria_mode_of_version_1_reads_as_the_expression_it_meant(
    tmp_path: Path, version_1: str, version_2: str
) -> None:
    old_dir, new_dir = tmp_path / "oud", tmp_path / "nieuw"
    old_dir.mkdir()
    new_dir.mkdir()
    older = load_policy(_card(old_dir, version_1, version=1))
    newer = load_policy(_card(new_dir, version_2))
    assert older.transitions == newer.transitions
    assert older.digest != newer.digest  # the digest is of the card as written


def test_a_version_1_all_keeps_pointing_at_the_line_it_was_written_on(tmp_path: Path) -> None:
    text = "    criteria: [hulp-effectief, onbekend]\n    criteria_mode: all\n"
    with pytest.raises(PolicyError) as raised:
        load_policy(_card(tmp_path, text, version=1))
    assert "unknown criterion 'onbekend'" in str(raised.value)
    assert raised.value.line == 7


def test_a_version_1_all_without_criteria_stays_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        load_policy(_card(tmp_path, "    criteria: []\n    criteria_mode: all\n", version=1))


def test_criteria_mode_in_a_version_2_card_is_refused_with_how_to_write_it(
    tmp_path: Path,
) -> None:
    card = _card(
        tmp_path,
        "    criteria: [hulp-effectief, veiligheid-hersteld]\n",
        extra=("    criteria_mode: all\n"),
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    error = raised.value
    assert "written as in version 1 of the format" in str(error)
    assert "write criteria: {all: [...]} and leave out criteria_mode" in str(error)
    assert (error.line, error.path) == (8, "transitions.afschalen-3-2.criteria_mode")


# -- what reasons over a card --------------------------------------------------------------------


def test_the_explorer_tries_a_set_per_way_the_optional_ones_and_sets_short_of_it(
    lokaal: Policy,
) -> None:
    case = _in_fase3(lokaal)
    rule = lokaal.transitions["afschalen-3-2"]
    tried = [c.criteria for c in transition_commands(lokaal, rule, case.state, Scope())]
    assert THREE in tried
    assert (*THREE, "onrust-weg", "huisvesting-in-zicht") in tried
    assert {THREE[:2], (THREE[0], THREE[2]), THREE[1:]} <= set(tried)


def test_the_explorer_tries_a_list_as_before(universeel: Policy) -> None:
    """One criterion of a list (any of them does what the first does), and none."""
    case = open_case(universeel)
    rule = universeel.transitions["opschalen-1-2"]
    tried = [c.criteria for c in transition_commands(universeel, rule, case.state, Scope())]
    assert set(tried) == {("hulpbehoefte",), ()}
    each = transition_commands(universeel, rule, case.state, Scope(criteria="each"))
    assert {c.criteria for c in each} == {("hulpbehoefte",), ("noodzaak-hulp",), ()}


def test_an_attempt_that_names_no_criteria_invokes_a_set_that_meets_its_rule(
    lokaal: Policy,
) -> None:
    from regiekaart.simulate._criteria import satisfying

    assert satisfying(lokaal, "fase3", "afschalen", "fase2") == THREE
    assert satisfying(lokaal, "fase1", "opschalen", "fase2") == ("hulpbehoefte",)
    assert satisfying(lokaal, "fase2.vrijwillig", "afschalen", None) == ("situatie-verbeterd",)
    assert satisfying(lokaal, "fase1", "close", None) == ()


def test_the_card_says_the_expression_in_its_own_words(lokaal: Policy) -> None:
    from regiekaart.render import render_card
    from regiekaart.render.cardview import _criteria as _criteria_cell
    from regiekaart.render.view import card_view

    step = next(s for s in card_view(lokaal).steps if s.id == "afschalen-3-2")
    assert step.criteria_words == (
        "alle drie: hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld; "
        "optioneel: onrust-weg, huisvesting-in-zicht"
    )
    html = render_card(lokaal, "html")
    assert "<dt>Criteria (alle drie)</dt>" in html
    assert "<dt>Optioneel (vastgelegd, niet vereist)</dt>" in html
    markdown = render_card(lokaal, "md")
    assert "- **Criteria** (alle drie):\n  - Als de hulp effectief is." in markdown
    assert "- **Optioneel** (vastgelegd, niet vereist):" in markdown
    assert 'rk:requirement="alle drie:' in render_card(lokaal, "scxml")
    assert _criteria_cell(step).plain == (
        "all of: hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld; optional: "
        "onrust-weg, huisvesting-in-zicht"
    )


def test_nested_parts_render_nested(tmp_path: Path) -> None:
    from regiekaart.render import render_card

    text = "    criteria:\n      any: [onrust-weg, {all: [hulp-effectief, veiligheid-hersteld]}]\n"
    policy = load_policy(_card(tmp_path, text))
    html = render_card(policy, "html")
    assert "<dt>Criteria (één volstaat)</dt>" in html
    assert (
        '<li class="criteria-group"><span class="criteria-head">beide:</span><ul class="criteria">'
        in html
    )
    markdown = render_card(policy, "md")
    assert "  - *beide:*\n    - Als de hulp effectief is." in markdown


def test_the_documented_example_validates(tmp_path: Path) -> None:
    text = (MACHINES.parent / "docs" / "policy-format.md").read_text("utf-8")
    section = text[text.index("#### Criteria expressions") :]
    body = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert body is not None
    shutil.copy(MACHINES / "universeel.yaml", tmp_path / "universeel.yaml")
    (tmp_path / "afschalen.yaml").write_text(body.group(1), encoding="utf-8")
    policy = load_policy(tmp_path / "afschalen.yaml")
    assert policy.transitions["afschalen-3-2"].requirement == AllOf(THREE)
    assert policy.transitions["afschalen-4-3"].requirement == AllOf(
        ("maatregelen-ingezet", AnyOf(("gevaar-onder-controle", "onrust-gestabiliseerd")))
    )


def test_stagnating_co_operation_without_danger_is_reason_enough_as_before(
    universeel: Policy,
) -> None:
    """§2.3.2 advises escalating stagnating co-operation without danger to safety to
    fase 3 in time; the card says so as a combination, and accepts exactly the sets of
    criteria it accepted as a list: any one of its thirteen."""
    rule = universeel.transitions["opschalen-2-3"]
    combination = AllOf(("stagnatie-samenwerking", Not("gevaar-veiligheid-systeem")))
    assert isinstance(rule.requirement, AnyOf)
    assert combination in rule.requirement.parts
    assert len(rule.criteria) == 13
    for size in range(len(rule.criteria) + 1):
        for chosen in itertools.combinations(rule.criteria, size):
            assert holds(rule.requirement, frozenset(chosen)) == bool(chosen)
    case = open_case(universeel)
    to_fase2(case)
    tried = {
        c.criteria for c in transition_commands(universeel, rule, case.state, Scope(holders="none"))
    }
    assert tried == {("toename-hulpbehoefte",), ("stagnatie-samenwerking",), ()}


def test_a_rule_evolved_without_an_expression_requires_nothing(universeel: Policy) -> None:
    rule = attrs.evolve(universeel.transitions["opschalen-1-2"], requirement=None)
    assert rule.criteria == ("hulpbehoefte", "noodzaak-hulp")


# -- whatever is written there -------------------------------------------------------------------

_WRITTEN = st.recursive(
    st.none()
    | st.integers(-2, 2)
    | st.booleans()
    | st.sampled_from(["hulp-effectief", "onrust-weg", "onbekend", "", "Hoofdletter"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["all", "any", "not", "optional", "some"]), inner, max_size=3
        )
    ),
    max_leaves=10,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, derandomize=True)
@given(written=_WRITTEN)
def test_any_criteria_a_card_writes_load_or_give_a_located_error(
    universeel: Policy, written: object
) -> None:
    """Whatever stands under ``criteria:`` (a version-2 card or a version-1 one with a
    ``criteria_mode``), reading it ends in a policy or a :class:`PolicyError`, never
    another exception."""
    import json

    from regiekaart import load_policy_document

    for version, mode in ((2, None), (1, "all"), (1, "none")):
        document = json.loads(universeel.document)
        document["regiekaart"] = version
        rule = document["transitions"]["afschalen-3-2"]
        rule["criteria"] = written
        if mode is not None:
            rule["criteria_mode"] = mode
        try:
            policy = load_policy_document(document, name="kaart")
        except PolicyError:
            continue
        requirement = policy.transitions["afschalen-3-2"].requirement
        assert requirement is None or satisfiable(requirement)


def test_a_changed_expression_is_a_change_of_the_card(tmp_path: Path, universeel: Policy) -> None:
    from regiekaart.verify.diff import card_changes

    changes = card_changes(universeel, load_policy(_card(tmp_path, ALL_THREE)))
    (change,) = [c for c in changes if c.kind == "transition"]
    assert change.where == "afschalen-3-2"
    assert change.what == "changed: criteria, requirement, optional_criteria"
    assert change.new["requirement"] == (
        "all of: hulp-effectief, stagnatie-opgeheven, veiligheid-hersteld"
    )
