"""What the runtime and the explorer remember per card answers as it did before.

The guards' criteria, the deciders resolved, the candidate rules of a move and what the
explorer tries of a rule are worked out once per card (``Policy.memo``). A rule changed
with ``attrs.evolve`` keeps its id but must be judged as the rule it is; a card changed
with ``attrs.evolve`` starts with empty tables; deciders written as lists are matched
as the same deciders written as tuples.
"""

from __future__ import annotations

import attrs
import pytest

from case_stories import open_case, to_fase2, to_fase3
from regiekaart import Case, Escalate, Policy
from regiekaart.analysis.enumeration import Scope, transition_commands
from regiekaart.errors import CriteriaNotMet, TransitionNotAllowed
from regiekaart.policy.criteria import AllOf
from regiekaart.runtime import authority
from regiekaart.runtime.guards import Work, criteria


def _case(policy: Policy) -> Case:
    return Case.create(policy, "casus-1", actor="wijkteam")


def _work(policy: Policy, command: Escalate) -> Work:
    case = _case(policy)
    return Work(policy=policy, command=command, before=case.state, facts=case.state.facts)


def test_an_evolved_rule_is_judged_by_its_own_criteria(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-1-2"]
    command = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
    assert criteria(rule, _work(universeel, command)) is None
    both = attrs.evolve(rule, requirement=AllOf(rule.criteria))
    refused = criteria(both, _work(universeel, command))
    assert isinstance(refused, CriteriaNotMet)
    assert "missing noodzaak-hulp" in refused.message
    assert criteria(rule, _work(universeel, command)) is None


def test_an_evolved_rule_is_enumerated_by_its_own_criteria(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-1-2"]
    state = _case(universeel).state
    scope = Scope(holders="none")
    before = [c.criteria for c in transition_commands(universeel, rule, state, scope)]
    both = attrs.evolve(rule, requirement=AllOf(rule.criteria))
    evolved = [c.criteria for c in transition_commands(universeel, both, state, scope)]
    assert before[0] == ("hulpbehoefte",)
    assert evolved[0] == ("hulpbehoefte", "noodzaak-hulp")
    assert [c.criteria for c in transition_commands(universeel, rule, state, scope)] == before


def test_an_evolved_card_starts_with_empty_tables(universeel: Policy) -> None:
    universeel.memo("test.table")["k"] = 1
    copy = attrs.evolve(universeel, id="kopie")
    assert copy.memo("test.table") == {}
    assert universeel.memo("test.table") == {"k": 1}
    assert copy == attrs.evolve(copy)


def test_deciders_as_lists_are_the_deciders_as_tuples(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-2-3"]
    as_lists = [list(group) for group in rule.deciders]
    roles = _case(universeel).state.roles
    assert authority.resolve(as_lists, universeel) == authority.resolve(rule.deciders, universeel)
    for party in universeel.parties:
        for together in ((), tuple(universeel.parties)):
            written = authority.authorized(rule.deciders, party, together, roles, universeel)
            listed = authority.authorized(as_lists, party, together, roles, universeel)
            assert written == listed


def test_a_move_in_another_configuration_has_its_own_candidates(universeel: Policy) -> None:
    """The same move is tried by the rules leaving where the case is, each time."""
    ahead, behind = open_case(universeel, "casus-1"), open_case(universeel, "casus-2")
    assert to_fase2(ahead).rule == "opschalen-1-2"
    with pytest.raises(TransitionNotAllowed, match="no rule allows escalate to fase2"):
        to_fase2(ahead)
    assert to_fase2(behind).rule == "opschalen-1-2"
    assert to_fase3(ahead).rule == to_fase3(behind).rule == "opschalen-2-3"
