"""The state-space reductions the verifier uses, and its parallel search.

A reduction (measures imposed in another order, dominance options that assign the same
roles) must merge situations and change no verdict: the same states reached, the same
rules fired, the same findings, on a complete exploration. A parallel search must find
exactly what a serial one finds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import pytest

from regiekaart import load_policy
from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import (
    CHECKS,
    CaseView,
    Invariant,
    Params,
    Predicate,
    register_check,
)
from regiekaart.analysis.situations import dominance_representatives, situation_key
from regiekaart.policy.checks import KINDS
from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import Member
from regiekaart.runtime.records import ActiveMeasure
from regiekaart.verify import Exploration, explore, start_case

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


@pytest.mark.slow
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
    _same_verdict(kept, merged)
    assert [c for c, _, _ in merged.checks() if merged.status(c) != "holds"] == []


def _same_verdict(wide: Exploration, reduced: Exploration) -> None:
    """Both complete; the reduced one smaller, with the same states, rules and findings."""
    assert not wide.bound_hit
    assert not reduced.bound_hit
    assert reduced.situations < wide.situations
    assert reduced.reached == wide.reached
    assert reduced.fired == wide.fired
    assert [(f.check, f.detail) for f in reduced.findings] == [
        (f.check, f.detail) for f in wide.findings
    ]


def test_dominance_options_that_assign_the_same_roles_are_named_once() -> None:
    """West-Brabant: veiligheid and strafbaar-feit both put the Zorg- en Veiligheidshuis
    of the area (named by the escalation), the burgemeester and the manager in place."""
    policy = load_policy(MACHINES / "west-brabant.yaml")
    assert dominance_representatives(policy) == ("huiselijk-geweld", "zorg", "veiligheid")
    other = attrs.evolve(
        policy,
        dominance={
            **policy.dominance,
            "strafbaar-feit": attrs.evolve(
                policy.dominance["strafbaar-feit"], roles={"procesregie": ("veilig-thuis",)}
            ),
        },
    )
    assert "strafbaar-feit" in dominance_representatives(other)


@pytest.mark.slow
def test_naming_one_dominance_per_class_changes_no_verdict() -> None:
    """Every situation reached when each option is named is, with the option renamed to
    its representative, a situation reached when only representatives are named."""
    policy = load_policy(MACHINES / "west-brabant.yaml")
    household = (Member(id="volwassene", group="volwassen"),)
    scope = Scope(refusals=False, holders="none", measure_order=False)
    keys: dict[str, set[object]] = {"all": set(), "representatives": set()}
    runs = {}
    modes: tuple[Literal["all", "representatives"], ...] = ("all", "representatives")
    for mode in modes:

        def visit(key: object, live: object, step: object, mode: str = mode) -> None:
            keys[mode].add(key)

        runs[mode] = explore(
            policy,
            scope=attrs.evolve(scope, dominance=mode),
            household=household,
            on_visit=visit,
        )
    _same_verdict(runs["all"], runs["representatives"])
    rename = {"strafbaar-feit": "veiligheid"}
    renamed = {
        (*key[:3], rename.get(key[3], key[3]), *key[4:])  # type: ignore[index]
        for key in keys["all"]
    }
    assert renamed == keys["representatives"]


@pytest.mark.slow
def test_a_parallel_exploration_finds_what_a_serial_one_finds() -> None:
    """Same situations, counts, rules, states and findings — shortest stories included,
    to the recorded time of each event."""
    policy = load_policy(
        MACHINES.parent / "examples" / "policy-changes" / "client-casusregie-fase3.yaml"
    )
    runs = [explore(policy, max_states=400, workers=n) for n in (1, 2)]
    serial, parallel = (
        (
            r.situations,
            r.tried,
            r.accepted,
            r.reached,
            r.fired,
            r.bound_hit,
            [(f.check, f.detail, f.trace) for f in r.findings],
        )
        for r in runs
    )
    assert serial == parallel
    assert runs[0].findings, "the change breaks casusregie-by-a-professional"


def test_a_parallel_exploration_decides_dead_ends_as_a_serial_one() -> None:
    policy = load_policy(
        Path(__file__).resolve().parents[1] / "policies" / "fase3-zonder-uitweg.yaml"
    )
    household = (Member(id="volwassene", group="volwassen"),)
    scope = Scope(holders="none")
    serial, parallel = (
        explore(policy, scope=scope, household=household, workers=n) for n in (1, 2)
    )
    assert not serial.bound_hit
    assert [(f.check, f.detail, f.trace) for f in serial.findings] == [
        (f.check, f.detail, f.trace) for f in parallel.findings
    ]
    assert any(f.check == "no-dead-end" for f in serial.findings)


def test_a_state_check_runs_once_per_situation_a_log_check_after_every_step() -> None:
    """A check registered with ``reads="state"`` has one verdict per situation, so the
    verifier asks it once per situation; a log check sees every step."""
    calls = {"state": 0, "log": 0}

    def counting(kind: str) -> Predicate:
        def predicate(policy: Policy, params: Params, case: CaseView) -> str | None:
            calls[kind] += 1
            return None

        return predicate

    register_check("test-counting-state", {}, reads="state")(counting("state"))
    register_check("test-counting-log", {})(counting("log"))
    try:
        extra = [
            Invariant(
                id=f"tel-{kind}", title=kind, source="", checks=((f"test-counting-{kind}", {}),)
            )
            for kind in ("state", "log")
        ]
        run = explore(
            load_policy(MACHINES / "west-brabant.yaml"),
            scope=Scope(refusals=False, holders="none"),
            household=(),
            extra=extra,
        )
    finally:
        del CHECKS["test-counting-state"], CHECKS["test-counting-log"]
        del KINDS["test-counting-state"], KINDS["test-counting-log"]
    assert not run.bound_hit
    assert calls["log"] == run.accepted + 1, "after every accepted step, and at the start"
    # Once per situation; the start once more if a step leads back into it.
    assert run.situations <= calls["state"] <= run.situations + 1 < calls["log"]
