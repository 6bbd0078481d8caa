# ruff: noqa: E501 (the candidate table reads best one attempt per line)
"""The kernel and the reference engine give identical trajectories on the same draws.

Random small scenarios over the universal card — including attempts by parties the card
does not authorise, criteria left out, dominance mixes and measures — are run through
both engines: the kernel over tables derived from the explorer, the reference through
one real Case per household. Configuration and role holders of every household in every
week must agree, and so must the refusals by rule, the informing by recipient and the
accepted steps per tag of the card (calamiteit, stagnatie-samenwerking, onveiligheid).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from conftest import MACHINES, ROOT, write_scenario
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.kernel import Run, simulate_range
from regiekaart.simulate.model import Model, compile_model
from regiekaart.simulate.output import tables
from regiekaart.simulate.reference import ReferenceRun, simulate_reference

CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "fase1": [
        {"kind": "signal", "by": "wijkteam"},
        {"kind": "opschalen", "to": "fase2", "by": "wijkteam", "criteria": ["hulpbehoefte"]},
        {"kind": "opschalen", "to": "fase2", "by": "wijkteam", "criteria": []},
        {"kind": "opschalen", "to": "fase2", "by": "wijkteam"},
        {"kind": "opschalen", "to": "fase2", "by": "cjg", "criteria": ["hulpbehoefte"]},
        {"kind": "calamiteit", "to": "fase4", "by": "burgemeester", "criteria": ["totale-escalatie"]},
        {"kind": "afschalen", "to": "fase2", "by": "wijkteam"},
        {"kind": "close", "by": "wijkteam"},
        {"kind": "impose", "measure": "ots", "member": "jeugd", "by": "kinderrechter"},
    ],
    "fase2": [
        {"kind": "opschalen", "by": "role:casusregie", "criteria": ["complexere-problematiek"]},
        {"kind": "afschalen", "by": "role:procesregie", "criteria": ["situatie-verbeterd"]},
        {"kind": "opschalen", "to": "fase3", "by": "role:casusregie", "together": ["veilig-thuis"],
         "criteria": ["huiselijk-geweld"], "dominance": True},
        {"kind": "opschalen", "to": "fase3", "by": "wijkteam", "criteria": ["overlast"]},
        {"kind": "impose", "measure": "ots", "member": "jeugd", "by": "kinderrechter"},
        {"kind": "impose", "measure": "ibs", "member": "volwassen", "by": "burgemeester"},
        {"kind": "end", "measure": "ots", "member": "jeugd", "by": "kinderrechter"},
        {"kind": "impose", "measure": "ots", "member": "jeugd", "by": "wijkteam"},
        {"kind": "end", "measure": "ibs", "member": "volwassen", "by": "ggz-aanbieder"},
        {"kind": "afschalen", "to": "fase1", "by": "wijkteam", "criteria": ["geen-overlast"]},
        {"kind": "calamiteit", "to": "fase4", "by": "ambtenaar-oov", "criteria": ["dreigende-onrust"]},
    ],
    "fase3": [
        {"kind": "afschalen", "to": "fase2", "by": "role:procesregie", "criteria": ["hulp-effectief"]},
        {"kind": "afschalen", "to": "fase2", "by": "wijkteam", "criteria": ["hulp-effectief"]},
        {"kind": "opschalen", "to": "fase4", "by": "ambtenaar-oov", "criteria": ["media-aandacht"]},
        {"kind": "decision", "decision": "burgemeester-informeren", "by": "role:bestuurlijk_verantwoordelijk"},
        {"kind": "impose", "measure": "rm", "member": "volwassen", "by": "rechter"},
    ],
    "fase4": [
        {"kind": "decision", "decision": "fase3-plan", "by": "veiligheidshuis"},
        {"kind": "afschalen", "to": "fase3", "by": "burgemeester", "criteria": ["gevaar-onder-controle"],
         "dominance": True},
        {"kind": "afschalen", "to": "fase3", "by": "wijkteam", "criteria": ["gevaar-onder-controle"]},
    ],
}  # fmt: skip
DOMINANCE = ["huiselijk-geweld", "zorg", "veiligheid", "strafbaar-feit"]


TIMED = Path(__file__).resolve().parents[1] / "cards" / "termijnen.yaml"
"""The universal card with terms short enough to run out within the horizon."""


@st.composite
def scenarios(draw: st.DrawFn, policy: Path = MACHINES / "universeel.yaml") -> dict[str, Any]:
    events: dict[str, list[dict[str, Any]]] = {}
    for state, candidates in CANDIDATES.items():
        chosen = draw(
            st.lists(
                st.sampled_from(range(len(candidates))),
                min_size=1 if state == "fase1" else 0,
                max_size=5,
                unique=True,
            )
        )
        budget = draw(st.floats(min_value=0.05, max_value=1.0))
        listed = []
        for index in chosen:
            event = dict(candidates[index])
            event["p"] = round(budget / max(1, len(chosen)), 6)
            if event.pop("dominance", False):
                options = draw(
                    st.lists(st.sampled_from(DOMINANCE), min_size=1, max_size=3, unique=True)
                )
                event["dominance"] = {o: round(1 / len(options), 12) for o in options[:-1]}
                event["dominance"][options[-1]] = 1 - sum(event["dominance"].values())
            listed.append(event)
        events[state] = listed
    start = draw(
        st.sampled_from(
            [
                {"fase1": 1.0},
                {"fase1": 0.5, "fase2": 0.5},
                {"fase1": 0.4, "fase2": 0.4, "fase3": 0.2},
            ]
        )
    )
    # households can only start where the scenario's own attempts lead: make sure they
    # do, with attempts that are never drawn (chance 0) but that the explorer follows
    if "fase2" in start:
        events["fase1"].append({"kind": "opschalen", "to": "fase2", "by": "wijkteam",
                                "criteria": ["noodzaak-hulp"], "p": 0.0})  # fmt: skip
    if "fase3" in start:
        events["fase2"].append({"kind": "opschalen", "to": "fase3", "by": "role:casusregie",
                                "together": ["veilig-thuis"], "criteria": ["overlast"],
                                "dominance": {"zorg": 1.0}, "p": 0.0})  # fmt: skip
    return {
        "simulation": 1,
        "policy": str(policy),
        "households": 40,
        "horizon_weeks": 10,
        "seed": draw(st.integers(min_value=0, max_value=2**32)),
        "opened_by": "wijkteam",
        "mix": {
            "jeugd": {"groups": ["jeugd"], "share": 0.3},
            "volwassen": {"groups": ["volwassen"], "share": 0.3},
            "gezin": {"groups": ["jeugd", "volwassen"], "share": 0.4},
        },
        "under_measure": {"share": draw(st.sampled_from([0.0, 0.5]))},
        "start": start,
        "events": {state: listed for state, listed in events.items() if listed},
    }


def kernel_view(model: Model, run: Run) -> list[list[tuple[Any, ...]]]:
    return [
        [(model.situations[s].state.configuration, model.situations[s].roles) for s in week]
        for week in run.trajectory.tolist()
    ]


def kernel_counts(
    model: Model, run: Run
) -> tuple[list[Counter[str]], list[Counter[str]], list[Counter[str]]]:
    columns = model.width + 1
    refusals, informed, tags = [], [], []
    expired = run.expired.tolist() if run.expired is not None else [[] for _ in run.edges]
    slots = len(model.expiries.slots)
    for row, expiries in zip(run.edges.tolist(), expired, strict=True):
        refused: Counter[str] = Counter()
        told: Counter[str] = Counter()
        tagged: Counter[str] = Counter()
        for flat, count in enumerate(row):
            if not count:
                continue
            si, j = divmod(flat, columns)
            rule = int(model.refusal[si, j])
            if rule >= 0:
                refused[model.rules[rule]] += count
            for recipient in model.informed[si][j]:
                told[recipient] += count
            for tag in model.tags[si][j]:
                tagged[tag] += count
        for flat, count in enumerate(expiries):
            si, k = divmod(flat, slots)
            for recipient in model.expiries.informed[si][k]:
                told[recipient] += count
            for tag in model.expiries.tags[si][k]:
                tagged[tag] += count
        refusals.append(refused)
        informed.append(told)
        tags.append(tagged)
    return refusals, informed, tags


def assert_same(model: Model, run: Run, reference: ReferenceRun) -> None:
    assert kernel_view(model, run) == reference.trajectory
    refusals, informed, tags = kernel_counts(model, run)
    assert refusals == reference.refusals
    assert informed == reference.informed
    assert tags == reference.tags
    table = tables(model, run, 0).tags
    assert sum(table["count"]) == sum(sum(c.values()) for c in reference.tags)


@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # each example compiles a card
)
@given(data=scenarios(), offset=st.integers(min_value=0, max_value=10_000))
def test_kernel_and_reference_engine_agree(data: dict[str, Any], offset: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        scenario = load_population(write_scenario(Path(directory), data))
    model = compile_model(scenario)
    run = simulate_range(model, offset, offset + 40, trajectory=True, block=17)
    reference = simulate_reference(model, offset, offset + 40)
    assert_same(model, run, reference)


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(data=scenarios(policy=TIMED), offset=st.integers(min_value=0, max_value=10_000))
def test_kernel_and_reference_engine_agree_when_terms_run_out(
    data: dict[str, Any], offset: int
) -> None:
    data["horizon_weeks"] = 14  # long enough for a month, and a fase 3 of 8 weeks, to end
    with tempfile.TemporaryDirectory() as directory:
        written = write_scenario(Path(directory), data)
        scenario = load_population(written, search_path=(TIMED.parent,))
    model = compile_model(scenario)
    run = simulate_range(model, offset, offset + 40, trajectory=True, block=13)
    reference = simulate_reference(model, offset, offset + 40)
    assert_same(model, run, reference)


def test_measures_expire_alike_in_both_engines(tmp_path: Path) -> None:
    """A household under an IBS of 3 days, an OTS of 2 weeks or a machtiging of a
    calendar month (4 or 5 weeks, by the month it starts in) is out of it by the week
    the term says, rounded up, in both engines, and no measure outlasts its term."""
    impose = {"kind": "impose", "p": 0.3}
    data: dict[str, Any] = {
        "simulation": 1,
        "policy": str(TIMED),
        "households": 60,
        "horizon_weeks": 12,
        "seed": 11,
        "opened_by": "wijkteam",
        "mix": {"gezin": {"groups": ["jeugd", "volwassen"], "share": 1.0}},
        "under_measure": {"share": 0.5},
        "start": {"fase2": 1.0},
        "events": {
            "fase1": [{"kind": "opschalen", "to": "fase2", "by": "wijkteam",
                       "criteria": ["noodzaak-hulp"], "p": 0.0}],
            "fase2": [
                {**impose, "measure": "ibs", "member": "volwassen", "by": "burgemeester"},
                {**impose, "measure": "ots", "member": "jeugd", "by": "kinderrechter"},
                {**impose, "measure": "rm", "member": "volwassen", "by": "rechter", "p": 0.2},
            ],
        },
    }  # fmt: skip
    written = write_scenario(tmp_path, data)
    model = compile_model(load_population(written, search_path=(TIMED.parent,)))
    run = simulate_range(model, 0, 60, trajectory=True, block=16)
    reference = simulate_reference(model, 0, 60)
    assert_same(model, run, reference)
    assert run.expired is not None
    expired = run.expired.sum()
    assert expired > 20
    ends = model.expiries.weeks(12)
    ibs, ots, rm = (model.expiries.slots.index(s) for s in (("ibs", "volwassen-1"),
                    ("ots", "jeugd-1"), ("rm", "volwassen-1")))  # fmt: skip
    moves = tables(model, run, 0).transitions
    expiries = [c for c, a in zip(moves["count"], moves["attempt"], strict=True) if a == "expire"]
    assert 0 < sum(expiries) <= expired  # the report shows the households that moved by expiry
    assert set(ends[ibs].tolist()) == {w + 1 for w in range(13)}
    assert set((ends[ots] - range(13)).tolist()) == {2}
    assert set((ends[rm] - range(13)).tolist()) == {4, 5}


@pytest.mark.slow
def test_the_shipped_scenario_agrees_on_a_thousand_households(
    shipped: dict[str, Any], tmp_path: Path
) -> None:
    shipped["seed"] = 7
    model = compile_model(load_population(write_scenario(tmp_path, shipped)))
    run = simulate_range(model, 0, 1000, weeks=26, trajectory=True)
    reference = simulate_reference(model, 0, 1000, weeks=26)
    assert_same(model, run, reference)
    moved = sum(
        a != b for a, b in zip(reference.trajectory[0], reference.trajectory[-1], strict=False)
    )
    assert moved > 100  # the households did go somewhere
    assert sum(sum(c.values()) for c in reference.refusals) > 0
    assert sum(c["calamiteit"] for c in reference.tags) > 0  # §1.6: calamities were counted


NESTED = ROOT / "tests" / "cards" / "nested.yaml"
NESTED_EVENTS: dict[str, list[dict[str, Any]]] = {
    "fase1": [{"kind": "opschalen", "to": "fase2", "by": "wijkteam", "criteria": ["hulpbehoefte"], "p": 0.3}],
    "fase2": [
        {"kind": "opschalen", "to": "fase3", "by": "wijkteam", "criteria": ["stagnatie-hulp"], "p": 0.1},
        {"kind": "opschalen", "to": "fase3.verward.traject", "by": "ggz-aanbieder", "criteria": ["verward-gedrag"], "p": 0.2},
        {"kind": "impose", "measure": "zorgmachtiging", "member": "volwassen", "by": "rechter", "p": 0.1},
        {"kind": "afschalen", "to": "fase1", "by": "wijkteam", "criteria": ["veiligheid-hersteld"], "p": 0.1},
    ],
    "fase3": [
        {"kind": "impose", "measure": "ots", "member": "jeugd", "by": "kinderrechter", "p": 0.2},
        {"kind": "end", "measure": "ots", "member": "jeugd", "by": "kinderrechter", "p": 0.2},
        {"kind": "afschalen", "to": "fase2", "by": "role:procesregie", "criteria": ["veiligheid-hersteld"], "p": 0.1},
    ],
    # A list of a state three levels down replaces its phase's while the state is active.
    "fase3.verward.traject": [
        {"kind": "impose", "measure": "zorgmachtiging", "member": "volwassen", "by": "rechter", "p": 0.2},
        {"kind": "end", "measure": "zorgmachtiging", "member": "volwassen", "by": "rechter", "p": 0.2},
        {"kind": "decision", "decision": "plan-verward", "by": "role:zorgregie", "p": 0.2},
        {"kind": "afschalen", "to": "fase2", "by": "role:zorgregie", "criteria": ["veiligheid-hersteld"], "p": 0.2},
        {"kind": "afschalen", "to": "fase2", "by": "wijkteam", "criteria": ["veiligheid-hersteld"], "p": 0.1},
    ],
}  # fmt: skip


@pytest.mark.parametrize("seed", [5, 11])
def test_kernel_and_reference_agree_on_states_nested_three_levels(
    tmp_path: Path, seed: int
) -> None:
    """A track beside the household's in fase 3, with its own vrijwillig/gedwongen split
    five states deep: both engines walk the same configurations and holders."""
    data = {
        "simulation": 1,
        "policy": str(NESTED),
        "households": 60,
        "horizon_weeks": 12,
        "seed": seed,
        "opened_by": "wijkteam",
        "mix": {
            "jeugd": {"groups": ["jeugd"], "share": 0.3},
            "volwassen": {"groups": ["volwassen"], "share": 0.3},
            "gezin": {"groups": ["jeugd", "volwassen"], "share": 0.4},
        },
        "under_measure": {"share": 0.5},
        "start": {"fase1": 0.5, "fase2": 0.5},
        "events": NESTED_EVENTS,
    }
    scenario = load_population(write_scenario(tmp_path, data), search_path=(NESTED.parent,))
    model = compile_model(scenario)
    labels = {s.label for s in model.situations}
    assert (
        "fase3.huishouden.gedwongen+fase3.verward.traject.veiligheid"
        "+fase3.verward.traject.zorg.gedwongen"
    ) in labels
    run = simulate_range(model, 0, 60, trajectory=True, block=17)
    reference = simulate_reference(model, 0, 60)
    assert_same(model, run, reference)
    visited = {c for week in reference.trajectory for c, _ in week}
    assert any("fase3.verward.traject.zorg.gedwongen" in c for c in visited)
