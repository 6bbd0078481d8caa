"""The one state-space reduction the verifier uses: measures imposed in another order.

It must merge situations and change no verdict: the same states reached, the same rules
fired, the same findings, on a complete exploration.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from regiekaart import load_policy
from regiekaart.commands import Member
from regiekaart.explore import Scope, situation_key
from regiekaart.records import ActiveMeasure
from regiekaart.verify import explore, start_case

MACHINES = Path(__file__).resolve().parents[2] / "machines"


def test_key_ignores_the_order_of_measures_and_holders_only_when_asked() -> None:
    policy = load_policy(MACHINES / "west-brabant.yaml")
    state = start_case(policy).state
    a, b = ActiveMeasure(measure="ibs", member="v"), ActiveMeasure(measure="rm", member="v")
    one = attrs.evolve(
        state,
        facts=attrs.evolve(state.facts, measures=(a, b)),
        roles={**state.roles, "casusregie": ("ggz-aanbieder", "reclassering")},
    )
    other = attrs.evolve(
        state,
        facts=attrs.evolve(state.facts, measures=(b, a)),
        roles={**state.roles, "casusregie": ("reclassering", "ggz-aanbieder")},
    )
    assert situation_key(one) != situation_key(other)
    assert situation_key(one, measure_order=False) == situation_key(other, measure_order=False)
    fewer = attrs.evolve(one, facts=attrs.evolve(state.facts, measures=(a,)))
    assert situation_key(fewer, measure_order=False) != situation_key(one, measure_order=False)


def test_merging_measure_orders_changes_no_verdict() -> None:
    policy = load_policy(MACHINES / "west-brabant.yaml")
    household = (Member(id="volwassene", group="volwassen"),)
    kept = explore(
        policy,
        scope=Scope(refusals=False, holders="none", measure_order=True),
        household=household,
    )
    merged = explore(
        policy,
        scope=Scope(refusals=False, holders="none", measure_order=False),
        household=household,
    )
    assert not kept.bound_hit
    assert not merged.bound_hit
    assert merged.situations < kept.situations
    assert merged.reached == kept.reached
    assert merged.fired == kept.fired
    assert [(f.check, f.detail) for f in merged.findings] == [
        (f.check, f.detail) for f in kept.findings
    ]
    assert [c for c, _, _ in merged.checks() if merged.status(c) != "holds"] == []
