"""The policy changes under examples/policy-changes: what verify and diff say about each.

Each change extends the West-Brabant card. Exploring that card completely takes minutes
(see benchmarks/bench_verify.py), so these tests bound the exploration or narrow it, and
say so: a violation found within a bound is a real violation with a real story; "holds"
is only claimed where the exploration was complete.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regiekaart import Policy, load_policy
from regiekaart.analysis.enumeration import Scope
from regiekaart.scenario import load_scenario, play
from regiekaart.verify import VERIFY_SCOPE, explore
from regiekaart.verify.diff import card_changes, changed_ids, diff_policies
from regiekaart.verify.findings import NO_DEAD_END
from regiekaart.verify.report import verify_policy

CHANGES = Path(__file__).resolve().parents[2] / "examples" / "policy-changes"
MACHINES = Path(__file__).resolve().parents[2] / "machines"

NARROW = Scope(refusals=False, holders="none", measure_order=False)
"""Only allowed commands with the card's default holders: enough to walk every phase."""


def change(name: str) -> Policy:
    return load_policy(CHANGES / f"{name}.yaml")


@pytest.fixture(scope="module")
def west_brabant_card() -> Policy:
    return load_policy(MACHINES / "west-brabant.yaml")


# -- the client may hold casusregie in fase 3 -------------------------------------------------


def test_client_casusregie_in_fase3_is_refused_with_a_replayable_counterexample(
    tmp_path: Path, west_brabant_card: Policy
) -> None:
    policy_file = CHANGES / "client-casusregie-fase3.yaml"
    report = verify_policy(
        load_policy(policy_file), policy_file, max_states=200, examples=0, out=tmp_path
    )
    row = next(r for r in report.rows if r.check == "casusregisseur-professional")
    assert row.status == "violated"
    assert "casusregie held by client" in row.detail
    assert not report.passed
    # The story is told in the card's words: the rule title and the party's name.
    assert any("Opschalen naar fase 3" in line and "Betrokkene" in line for line in row.story)
    assert row.file is not None
    # The story lies outside the card's folder: it is replayed with that folder on the
    # search path, as `regiekaart run --path DIR` does.
    replay = play(load_scenario(row.file, search_path=[CHANGES]))
    assert replay.passed, replay.summary()
    last = replay.steps[-1]
    assert "client" in last.roles["casusregie"]
    assert "fase3" in last.configuration
    # The same story on the unchanged card is refused at its last step: the change
    # is what lets the client in.
    unchanged = play(load_scenario(row.file, search_path=[CHANGES]), west_brabant_card)
    assert not unchanged.passed
    assert unchanged.steps[-1].refusal is not None


# -- afschalen from fase 4 without the fase-3 plan ---------------------------------------------


@pytest.mark.slow
def test_afschalen_without_plan_fails_exit_requires(west_brabant_card: Policy) -> None:
    changed = explore(change("afschalen-zonder-plan"), max_states=150)
    assert changed.status("geen-afschalen-fase1-geen-opschalen-fase4") == "violated"
    finding = changed.findings_for("geen-afschalen-fase1-geen-opschalen-fase4")[0]
    assert finding.check_kind == "exit_requires"
    assert "left fase4 without fase3-plan" in finding.detail
    assert [e.rule for e in finding.trace][-1] == "afschalen-4-3"
    assert len(finding.trace) == 2  # into fase 4, straight out again: the shortest story
    unchanged = explore(west_brabant_card, max_states=150)
    assert unchanged.status("geen-afschalen-fase1-geen-opschalen-fase4") != "violated"
    assert not unchanged.findings


def test_afschalen_without_plan_diff_names_the_requirement(west_brabant_card: Policy) -> None:
    changes = card_changes(west_brabant_card, change("afschalen-zonder-plan"))
    assert [(c.kind, c.where, c.what) for c in changes] == [
        ("transition", "afschalen-4-3", "changed: requires")
    ]


# -- afschalen 3 → 2 removed --------------------------------------------------------------------


def test_removing_afschalen_3_2_leaves_dead_ends(west_brabant_card: Policy) -> None:
    # No household members (so no measures) and only allowed default-holder commands:
    # small enough to explore completely, which a dead-end verdict needs.
    changed = explore(change("zonder-afschalen-3-2"), scope=NARROW, household=())
    assert not changed.bound_hit
    assert changed.status(NO_DEAD_END) == "violated"
    assert changed.status("geen-doodlopende-situatie") == "violated"
    finding = changed.findings_for(NO_DEAD_END)[0]
    assert "no way back to fase1" in finding.detail
    assert finding.trace, "a dead end comes with the story that reaches it"
    assert finding.trace[-1].after[0] in ("fase3", "fase4")
    unchanged = explore(west_brabant_card, scope=NARROW, household=())
    assert not unchanged.bound_hit
    assert unchanged.status(NO_DEAD_END) == "holds"
    assert unchanged.status("geen-doodlopende-situatie") == "holds"


@pytest.mark.slow
def test_removing_afschalen_3_2_diff(west_brabant_card: Policy) -> None:
    result = diff_policies(
        west_brabant_card, change("zonder-afschalen-3-2"), scope=NARROW, max_states=400
    )
    assert changed_ids(result.card) == {("transition", "afschalen-3-2")}
    assert result.card[0].what == "removed"
    lost = [b for b in result.behaviour if b.accepted_by == "old"]
    assert lost
    assert all(b.rule == "afschalen-3-2" for b in lost)
    assert not [b for b in result.behaviour if b.accepted_by == "new"]
    broken = {i.check for i in result.invariants}
    assert NO_DEAD_END in broken or result.bound_hit


# -- the 2020 law change ------------------------------------------------------------------------


def test_law_change_2020_diff_shows_only_measures_and_holders(west_brabant_card: Policy) -> None:
    new = change("wet-verplichte-ggz-2020")
    changes = card_changes(west_brabant_card, new)
    assert {c.kind for c in changes} == {"measure", "role"}
    assert {c.where for c in changes if c.kind == "measure"} == {
        "ibs",
        "rm",
        "crisismaatregel",
        "zorgmachtiging",
        "wzd-ibs",
        "wzd-rm",
    }
    roles = [c for c in changes if c.kind == "role"]
    assert {c.where for c in roles} == {
        "fase2.gedwongen.casusregie",
        "fase3.gedwongen.casusregie",
    }
    assert all(c.what == "changed: eligible" for c in roles)


def test_law_change_2020_behaviour_differs_only_in_measures(west_brabant_card: Policy) -> None:
    new = change("wet-verplichte-ggz-2020")
    result = diff_policies(west_brabant_card, new, scope=NARROW, max_states=150, limit=50)
    assert result.behaviour
    for item in result.behaviour:
        assert item.command["type"] in ("impose_measure", "end_measure"), item
    assert not result.invariants


def test_law_change_2020_verifies_within_the_bound() -> None:
    # Complete exploration of this card takes minutes (benchmarks/bench_verify.py); here a
    # bound: nothing may be violated, and the verdict must say "not proven", not "holds".
    run = explore(change("wet-verplichte-ggz-2020"), scope=VERIFY_SCOPE, max_states=200)
    assert run.bound_hit
    assert not run.findings
    assert {run.status(check) for check, _, _ in run.checks()} == {"not proven"}
