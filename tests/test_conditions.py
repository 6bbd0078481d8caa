"""Conditions on the case: members present, measures in force, facts, dominance.

The handreiking makes the responsible official follow the household (§2.3.3: the
wethouder Jeugd for youth and family matters, the wethouder Wmo for adults, the
burgemeester for public order) and a frame follow the measures in force. These tests pin
the expression itself: how a card writes it, when it holds, its words, and that the
schema takes exactly what the reader understands.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart.policy.conditions import (
    AllOf,
    AnyOf,
    Condition,
    Not,
    Situation,
    Term,
    describe,
    holds,
    read,
    references,
)

HOUSEHOLD = Situation(
    groups=frozenset({"jeugd", "volwassen"}),
    measures=frozenset({"ots"}),
    facts=frozenset({"plan"}),
    dominance="zorg",
)
ADULTS = Situation(groups=frozenset({"volwassen"}))


def _schema() -> Any:
    text = resources.files("regiekaart.policy").joinpath("policy.schema.json").read_text()
    schema = json.loads(text)
    return {"$defs": schema["$defs"], "$ref": "#/$defs/condition"}


def _valid(written: object) -> bool:
    return jsonschema.Draft202012Validator(_schema()).is_valid(written)


def test_a_card_writes_tests_and_combinations() -> None:
    assert read({"members": "jeugd"}) == Term("members", ("jeugd",))
    assert read({"measures": ["ots", "ibs"]}) == Term("measures", ("ots", "ibs"))
    assert read({"not": {"dominance": "none"}}) == Not(Term("dominance", ("none",)))
    assert read({"any": [{"fact": "plan"}, {"members": "jeugd"}]}) == AnyOf(
        (Term("fact", ("plan",)), Term("members", ("jeugd",)))
    )
    # Keys side by side must all hold.
    assert read({"members": "jeugd", "measures": "none"}) == AllOf(
        (Term("members", ("jeugd",)), Term("measures", ("none",)))
    )


@pytest.mark.parametrize(
    ("written", "household", "adults"),
    [
        ({"members": "jeugd"}, True, False),
        ({"members": ["jeugd", "volwassen"]}, True, True),
        ({"measures": "some"}, True, False),
        ({"measures": "none"}, False, True),
        ({"measures": ["ibs"]}, False, False),
        ({"measures": ["ibs", "ots"]}, True, False),
        ({"fact": "plan"}, True, False),
        ({"fact": ["plan", "risico"]}, False, False),
        ({"dominance": "some"}, True, False),
        ({"dominance": "none"}, False, True),
        ({"dominance": ["zorg", "veiligheid"]}, True, False),
        ({"not": {"members": "jeugd"}}, False, True),
        ({"all": [{"members": "volwassen"}, {"not": {"members": "jeugd"}}]}, False, True),
        ({"any": [{"fact": "plan"}, {"dominance": "none"}]}, True, True),
    ],
)
def test_a_condition_holds_as_its_words_say(
    written: dict[str, Any], household: bool, adults: bool
) -> None:
    assert _valid(written)
    condition = read(written)
    assert holds(condition, HOUSEHOLD) is household
    assert holds(condition, ADULTS) is adults


def test_the_words_of_a_condition_name_what_it_asks() -> None:
    condition = read({"all": [{"members": ["jeugd", "volwassen"]}, {"not": {"dominance": "some"}}]})
    assert describe(condition) == (
        "all of: a member in jeugd or volwassen, not (a dominance chosen)"
    )
    assert describe(read({"measures": "none"})) == "no measure in force"
    assert describe(read({"measures": ["ots"]})) == "a measure in force: ots"
    assert describe(read({"fact": "plan"})) == "fact plan set"
    assert describe(read({"any": [{"dominance": "zorg"}, {"all": [{"fact": "a"}]}]})) == (
        "one of: dominance zorg, (all of: fact a set)"
    )


def test_references_name_every_id_but_the_words_some_and_none() -> None:
    condition = read(
        {
            "all": [
                {"members": "jeugd"},
                {"measures": "some"},
                {"not": {"measures": ["ots"]}},
                {"dominance": "none"},
                {"fact": "plan"},
            ]
        }
    )
    assert list(references(condition)) == [
        ("members", "jeugd"),
        ("measures", "ots"),
        ("fact", "plan"),
    ]


@pytest.mark.parametrize(
    "written",
    [
        {},
        {"members": []},
        {"member": "jeugd"},
        {"all": []},
        {"not": []},
        {"measures": "Some"},
        {"fact": 3},
        {"any": [{}]},
        "jeugd",
        ["jeugd"],
    ],
)
def test_the_schema_refuses_what_the_reader_would_not_understand(written: object) -> None:
    assert not _valid(written)


# -- properties ----------------------------------------------------------------------------

_IDS = st.sampled_from(["a", "b", "c", "some", "none"])
_VALUES = st.one_of(_IDS, st.lists(_IDS, min_size=1, max_size=3))
_TESTS = st.builds(
    lambda key, value: {key: value},
    st.sampled_from(["members", "measures", "fact", "dominance"]),
    _VALUES,
)
_WRITTEN: st.SearchStrategy[Any] = st.recursive(
    _TESTS,
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=12,
)
_SITUATIONS = st.builds(
    Situation,
    groups=st.frozensets(st.sampled_from(["a", "b", "c"])),
    measures=st.frozensets(st.sampled_from(["a", "b", "c"])),
    facts=st.frozensets(st.sampled_from(["a", "b", "c", "some", "none"])),
    dominance=st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_WRITTEN, _SITUATIONS)
def test_every_written_condition_is_valid_reads_and_says_something(
    written: Any, situation: Situation
) -> None:
    assert _valid(written)
    condition = read(written)
    outcome = holds(condition, situation)
    assert holds(Not(condition), situation) is not outcome
    assert holds(AllOf((condition, condition)), situation) is outcome
    assert holds(AnyOf((condition, Not(condition))), situation)
    assert describe(condition)


def _flip(condition: Condition) -> Condition:
    """De Morgan: the same condition written the other way round."""
    if isinstance(condition, AllOf):
        return Not(AnyOf(tuple(Not(_flip(p)) for p in condition.parts)))
    if isinstance(condition, AnyOf):
        return Not(AllOf(tuple(Not(_flip(p)) for p in condition.parts)))
    if isinstance(condition, Not):
        return Not(_flip(condition.part))
    return condition


@settings(max_examples=200, derandomize=True, deadline=None)
@given(_WRITTEN, _SITUATIONS)
def test_de_morgan_rewritings_agree(written: Any, situation: Situation) -> None:
    condition = read(written)
    assert holds(_flip(condition), situation) is holds(condition, situation)
