"""The compiler: a card becomes a real python-statemachine StateChart.

python-statemachine is the execution semantics: compound states for the kader of fase 2
and 3, a parallel fase 4 with both tracks (§2.3), a final state, guarded events. The
library would silently ignore an event without a transition; the compiled chart must
refuse it instead.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from statemachine import StateChart
from statemachine.exceptions import TransitionNotAllowed as ChartRefused

from regiekaart import Escalate, Policy, PolicyError, compile_policy
from regiekaart.policy.model import StateDef
from regiekaart.runtime.chart import ChartModel
from regiekaart.runtime.guards import Work
from regiekaart.runtime.records import CaseState, Facts
from regiekaart.runtime.roles import target_configuration


def _chart_states(policy: Policy) -> dict[str, Any]:
    chart_class = compile_policy(policy).chart_class
    return {state.id: state for state in chart_class.states}


def test_the_compiled_class_is_a_statechart(universeel: Policy) -> None:
    compiled = compile_policy(universeel)
    assert issubclass(compiled.chart_class, StateChart)
    assert compiled.chart_id["fase2.vrijwillig"] == "fase2_vrijwillig"
    assert compiled.state_of["fase4_zorg"] == "fase4.zorg"
    assert set(compiled.event_of) == set(universeel.transitions)


def test_fase2_and_fase3_are_compound_with_the_kader_sub_states(universeel: Policy) -> None:
    states = _chart_states(universeel)
    for phase in ("fase2", "fase3"):
        state = states[phase]
        assert state.is_compound
        assert not state.parallel
        assert [c.id for c in state.states] == [f"{phase}_vrijwillig", f"{phase}_gedwongen"]


def test_fase4_is_parallel_with_both_tracks(universeel: Policy) -> None:
    """§2.3: coördinatie op veiligheid and zorgcoördinatie run at once."""
    fase4 = _chart_states(universeel)["fase4"]
    assert fase4.parallel
    assert [c.id for c in fase4.states] == ["fase4_veiligheid", "fase4_zorg"]


def test_afgesloten_is_a_final_state(universeel: Policy) -> None:
    states = _chart_states(universeel)
    assert states["afgesloten"].final
    assert not states["fase1"].final


def test_a_new_chart_starts_in_fase1(universeel: Policy) -> None:
    compiled = compile_policy(universeel)
    chart = compiled.new_chart(ChartModel())
    assert compiled.configuration(chart) == ("fase1",)


def test_an_unknown_event_is_refused_not_ignored(universeel: Policy) -> None:
    compiled = compile_policy(universeel)
    chart = compiled.new_chart(ChartModel())
    with pytest.raises(ChartRefused):
        chart.send("geen_bestaande_gebeurtenis")
    assert compiled.configuration(chart) == ("fase1",)


def test_an_event_of_another_phase_is_refused(universeel: Policy) -> None:
    """Opschalen 3→4 is not an event of fase 1: refused, the chart stays put."""
    compiled = compile_policy(universeel)
    chart = compiled.new_chart(ChartModel())
    with pytest.raises(ChartRefused):
        chart.send(compiled.event_of["opschalen-3-4"])
    assert compiled.configuration(chart) == ("fase1",)


def _work(policy: Policy, actor: str, criteria: tuple[str, ...]) -> Work:
    rule = policy.transitions["opschalen-1-2"]
    before = CaseState(configuration=("fase1",), roles={"casusregie": ("client",)})
    return Work(
        policy=policy,
        command=Escalate(actor=actor, to="fase2", criteria=criteria),
        before=before,
        facts=Facts(),
        rule=rule,
        assigned=dict(rule.assign),
        roles=dict(before.roles),
        target=target_configuration(policy, "fase2", Facts()),
    )


def test_the_guards_are_the_charts_conditions(universeel: Policy) -> None:
    """§2.3.1: only the wijkteam escalates to fase 2, and only on a criterion."""
    compiled = compile_policy(universeel)
    model = ChartModel()
    chart = compiled.new_chart(model)
    event = compiled.event_of["opschalen-1-2"]
    for actor, criteria in (("client", ("hulpbehoefte",)), ("wijkteam", ())):
        model.work = _work(universeel, actor, criteria)
        with pytest.raises(ChartRefused):
            chart.send(event)
        assert compiled.configuration(chart) == ("fase1",)
    model.work = _work(universeel, "wijkteam", ("hulpbehoefte",))
    chart.send(event)
    assert compiled.configuration(chart) == ("fase2", "fase2.vrijwillig")
    assert model.work.entered == ["fase2", "fase2.vrijwillig"]
    assert model.work.roles["casusregie"] == ("wijkteam",), "the entry action assigned it"


def test_place_puts_a_chart_in_a_configuration_without_actions(universeel: Policy) -> None:
    compiled = compile_policy(universeel)
    model = ChartModel()
    chart = compiled.new_chart(model)
    compiled.place(chart, ("fase4", "fase4.veiligheid", "fase4.zorg"))
    assert compiled.configuration(chart) == ("fase4", "fase4.veiligheid", "fase4.zorg")
    compiled.place(chart, ("fase3", "fase3.gedwongen"))
    assert compiled.configuration(chart) == ("fase3", "fase3.gedwongen")


def test_compiling_is_cached_per_policy(universeel: Policy, west_brabant: Policy) -> None:
    assert compile_policy(universeel) is compile_policy(universeel)
    assert compile_policy(west_brabant).chart_class is not compile_policy(universeel).chart_class


def test_state_ids_that_differ_only_in_punctuation_are_refused(universeel: Policy) -> None:
    fase2 = universeel.states["fase2"]
    twins = {
        **universeel.states,
        "fase2.hulp-nodig": StateDef(id="fase2.hulp-nodig", title="a", parent="fase2"),
        "fase2.hulp_nodig": StateDef(id="fase2.hulp_nodig", title="b", parent="fase2"),
        "fase2": attrs.evolve(
            fase2, children=(*fase2.children, "fase2.hulp-nodig", "fase2.hulp_nodig")
        ),
    }
    with pytest.raises(PolicyError, match="differ only in punctuation"):
        compile_policy(attrs.evolve(universeel, states=twins, id="tweeling"))
