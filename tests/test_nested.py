"""States nested to any depth: a track beside the household's in fase 3 (§2.3, §2.3.3).

On ``tests/cards/nested.yaml`` fase 3 runs two tracks at once: the household's, in the
vrijwillig or the gedwongen kader by the measures in force, and one for confused
behaviour (verward gedrag) that goes from a signal to a trajectory in which care and
safety run side by side, care with a vrijwillig/gedwongen split of its own. A parallel
state inside a compound one inside a parallel one; the deepest frames are five states
down. Every level reads, checks, runs, restores and explores like the first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from regiekaart import (
    Case,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    LimitExceeded,
    Member,
    Policy,
    PolicyError,
    PolicyErrors,
    PreconditionNotMet,
    RecordDecision,
    SnapshotMismatch,
    StepClock,
    load_policy,
    load_policy_document,
)
from regiekaart.runtime.roles import target_configuration
from regiekaart.runtime.snapshot import configuration_problems

CARD = Path(__file__).resolve().parent / "cards" / "nested.yaml"
KIND = Member(id="kind", group="jeugd")
OUDER = Member(id="ouder", group="volwassen")

HUISHOUDEN = "phases.fase3.substates.states.huishouden"
TRAJECT = "phases.fase3.substates.states.verward.substates.states.traject"
ZORG = f"{TRAJECT}.substates.states.zorg"
IN_TRAJECT = (
    "fase3",
    "fase3.huishouden",
    "fase3.huishouden.vrijwillig",
    "fase3.verward",
    "fase3.verward.traject",
    "fase3.verward.traject.veiligheid",
    "fase3.verward.traject.zorg",
    "fase3.verward.traject.zorg.vrijwillig",
)


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="module")
def card() -> Policy:
    return load_policy(CARD)


def _in_fase2(card: Policy) -> Case:
    case = Case.create(card, "casus-1", actor="wijkteam", members=(KIND, OUDER), clock=StepClock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    return case


def _in_traject(card: Policy) -> Case:
    """§2.3.3: the wijkteam and the GGZ-aanbieder start the trajectory for confused
    behaviour, three levels down in fase 3."""
    case = _in_fase2(card)
    case.apply(
        Escalate(
            actor="wijkteam",
            together=["ggz-aanbieder"],
            to="fase3.verward.traject",
            criteria=["verward-gedrag"],
        )
    )
    return case


def _zorgmachtiging(case: Case) -> None:
    case.apply(ImposeMeasure(actor="rechter", measure="zorgmachtiging", member="ouder"))


# -- reading ------------------------------------------------------------------------------


def test_every_level_is_read_with_ids_dotted_from_the_phase(card: Policy) -> None:
    zorg = card.states["fase3.verward.traject.zorg"]
    assert zorg.parent == "fase3.verward.traject"
    assert zorg.children == (
        "fase3.verward.traject.zorg.vrijwillig",
        "fase3.verward.traject.zorg.gedwongen",
    )
    assert not zorg.parallel
    assert card.states["fase3.verward.traject"].parallel
    assert card.states["fase3"].parallel
    assert card.states["fase3.verward.traject.zorg.gedwongen"].when_measures == "some"
    assert card.phase_of("fase3.verward.traject.zorg.gedwongen").id == "fase3"
    assert [s.id for s in card.phases()] == ["fase1", "fase2", "fase3"]
    # Each state follows its parent, in the order written.
    ids = list(card.states)
    assert ids.index("fase3.verward.traject") < ids.index("fase3.verward.traject.zorg")
    assert card.sources[f"{ZORG}.substates.states.gedwongen.roles.zorgregie"].endswith(
        "nested.yaml:115"
    )


# -- running ------------------------------------------------------------------------------


def test_a_step_three_levels_down_enters_every_region_of_the_phase(card: Policy) -> None:
    case = _in_traject(card)
    assert case.configuration == IN_TRAJECT
    assert case.roles == {
        "casusregie": ("wijkteam",),
        "procesregie": ("mass-oggz",),
        "veiligheidsregie": ("politie",),
        "zorgregie": ("ggz-aanbieder",),
    }
    assert configuration_problems(card, case.configuration) == []


def test_the_look_ahead_of_a_deep_step_is_where_the_chart_goes(card: Policy) -> None:
    case = _in_fase2(card)
    ahead = target_configuration(card, "fase3.verward.traject", case.state.facts)
    assert ahead == frozenset(IN_TRAJECT)
    _zorgmachtiging(case)
    ahead = target_configuration(card, "fase3.verward.traject", case.state.facts)
    assert "fase3.huishouden.gedwongen" in ahead
    assert "fase3.verward.traject.zorg.gedwongen" in ahead
    assert "fase3.verward.traject.zorg.vrijwillig" not in ahead


def test_a_measure_switches_the_frames_at_every_depth(card: Policy) -> None:
    """§2.3: under a care order (zorgmachtiging) the household and the care of the track
    are in the gedwongen kader, their casusregie and zorgregie from the measure; a second
    measure adds its holders to both frames; when the measures end both return."""
    case = _in_traject(card)
    _zorgmachtiging(case)
    active = set(case.configuration)
    assert {"fase3.huishouden.gedwongen", "fase3.verward.traject.zorg.gedwongen"} <= active
    assert not {"fase3.huishouden.vrijwillig", "fase3.verward.traject.zorg.vrijwillig"} & active
    assert case.roles["casusregie"] == ("reclassering",)
    assert case.roles["zorgregie"] == ("ggz-aanbieder",)
    case.apply(ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"))
    assert case.roles["casusregie"] == ("reclassering", "gecertificeerde-instelling")
    assert case.roles["zorgregie"] == ("ggz-aanbieder", "gecertificeerde-instelling")
    assert case.roles["veiligheidsregie"] == ("politie",), "a region without a frame stays"
    case.apply(EndMeasure(actor="rechter", measure="zorgmachtiging", member="ouder"))
    assert case.roles["casusregie"] == ("gecertificeerde-instelling",)
    case.apply(EndMeasure(actor="kinderrechter", measure="ots", member="kind"))
    assert case.configuration == IN_TRAJECT
    assert case.roles["casusregie"] == ("wijkteam",)
    assert case.roles["zorgregie"] == ("ggz-aanbieder",)


def test_a_measure_before_fase3_opens_its_frames_gedwongen(card: Policy) -> None:
    case = _in_fase2(card)
    _zorgmachtiging(case)
    case.apply(Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"]))
    assert case.configuration == (
        "fase3",
        "fase3.huishouden",
        "fase3.huishouden.gedwongen",
        "fase3.verward",
        "fase3.verward.signaal",
    )
    assert case.roles["casusregie"] == ("reclassering",)


def test_the_innermost_cell_wins(card: Policy) -> None:
    """The track's zorgregie lies with the MaSS/OGGZ-team; in the trajectory's voluntary
    care, four states further down, with the GGZ-aanbieder."""
    signaal = ("fase3", "fase3.huishouden", "fase3.verward", "fase3.verward.signaal")
    cell = card.role_cell(frozenset(signaal), "zorgregie")
    assert cell is not None
    assert cell.holders == ("mass-oggz",)
    cell = card.role_cell(frozenset(IN_TRAJECT), "zorgregie")
    assert cell is not None
    assert cell.holders == ("ggz-aanbieder",)
    case = _in_fase2(card)
    case.apply(Escalate(actor="wijkteam", to="fase3", criteria=["stagnatie-hulp"]))
    assert case.roles["zorgregie"] == ("mass-oggz",)
    assert "veiligheidsregie" not in case.roles, "no role of a region that is not active"


def test_a_step_out_of_a_nested_state_is_decided_as_the_card_says(card: Policy) -> None:
    """Leaving the trajectory needs its plan, made by whoever holds the zorgregie there."""
    case = _in_traject(card)
    back = Deescalate(actor="ggz-aanbieder", to="fase2", criteria=["veiligheid-hersteld"])
    before = case.snapshot()
    with pytest.raises(PreconditionNotMet) as refused:
        case.apply(back)
    assert refused.value.rule == "afschalen-traject-2"
    assert case.snapshot() == before
    case.apply(RecordDecision(actor="ggz-aanbieder", decision="plan-verward"))
    case.apply(back)
    assert case.configuration == ("fase2",)
    assert case.roles == {"casusregie": ("wijkteam",)}


# -- snapshots ----------------------------------------------------------------------------


def test_a_deep_configuration_restores_and_goes_on_alike(card: Policy) -> None:
    case = _in_traject(card)
    _zorgmachtiging(case)
    restored = Case.restore(card, json.loads(json.dumps(case.snapshot().to_json())))
    assert restored.state == case.state
    for copy in (case, restored):
        copy.apply(EndMeasure(actor="rechter", measure="zorgmachtiging", member="ouder"))
    assert restored.state == case.state


def _without(*states: str) -> Callable[[tuple[str, ...]], list[str]]:
    return lambda configuration: [s for s in configuration if s not in states]


def _with(*states: str) -> Callable[[tuple[str, ...]], list[str]]:
    return lambda configuration: sorted({*configuration, *states})


FORGED: dict[str, tuple[Callable[[tuple[str, ...]], list[str]], str]] = {
    "a region missing three levels down": (
        _without("fase3.verward.traject.veiligheid"),
        "fase3.verward.traject is parallel but fase3.verward.traject.veiligheid is not active",
    ),
    "both frames of the care at once": (
        _with("fase3.verward.traject.zorg.gedwongen"),
        "fase3.verward.traject.zorg has 2 active sub-states, not one",
    ),
    "a deep state without its parent": (
        _without("fase3.verward.traject.zorg"),
        "fase3.verward.traject.zorg.vrijwillig is active without fase3.verward.traject.zorg",
    ),
    "the signal and the trajectory at once": (
        _with("fase3.verward.signaal"),
        "fase3.verward has 2 active sub-states, not one",
    ),
}


@pytest.mark.parametrize("name", FORGED)
def test_a_deep_configuration_no_case_could_be_in_is_refused(card: Policy, name: str) -> None:
    edit, said = FORGED[name]
    data: dict[str, Any] = json.loads(json.dumps(_in_traject(card).snapshot().to_json()))
    forged = edit(tuple(data["state"]["configuration"]))
    assert said in configuration_problems(card, tuple(forged))
    data["state"]["configuration"] = forged
    with pytest.raises(SnapshotMismatch) as refused:
        Case.restore(card, data)
    assert said in str(refused.value)


# -- exploring ----------------------------------------------------------------------------


def test_the_explorer_reaches_every_nested_state_and_finds_nothing(card: Policy) -> None:
    from regiekaart.verify.exhaustive import explore

    exploration = explore(card, max_states=20_000)
    assert not exploration.bound_hit
    assert exploration.reached >= set(card.states)
    assert {check: exploration.status(check) for check, _, _ in exploration.checks()} == {
        "deciders-on-every-step": "holds",
        "every-state-reachable": "holds",
        "every-rule-fires": "holds",
        "no-dead-end": "holds",
    }


def test_the_hosts_state_machine_runs_on_nested_states(card: Policy) -> None:
    """``regiekaart.testing`` drives real cases through every level: refusals change
    nothing, a restored case refuses alike, the card's checks hold after each step."""
    from regiekaart.testing import run_policy_state_machine

    run_policy_state_machine(
        card,
        members=[KIND, OUDER],
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# -- checks at every level ----------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str, *, count: int = 1) -> list[PolicyError]:
    """The problems of the nested card with ``old`` written as ``new``."""
    text = CARD.read_text("utf-8")
    assert text.count(old) == count, old
    path = tmp_path / "nested.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    with pytest.raises((PolicyError, PolicyErrors)) as raised:
        load_policy(path)
    error = raised.value
    return list(error.errors) if isinstance(error, PolicyErrors) else [error]


def _written_at(problem: PolicyError) -> str:
    """The line of the card a problem points at, as written."""
    assert problem.file is not None
    assert problem.line is not None
    return Path(problem.file).read_text("utf-8").splitlines()[problem.line - 1].strip()


VOLUNTARY_CARE = """                          vrijwillig:
                            title: Vrijwillige zorg
                            initial: true"""


def test_a_compound_state_five_down_needs_exactly_one_initial(tmp_path: Path) -> None:
    no_initial = VOLUNTARY_CARE.replace("initial: true", "initial: false")
    (problem,) = _broken(tmp_path, VOLUNTARY_CARE, no_initial)
    assert problem.path == f"{ZORG}.substates"
    assert "exactly one sub-state must be initial: true (found 0)" in problem.message
    assert _written_at(problem) == "substates:"


def test_a_role_set_in_two_regions_at_any_depth_is_refused(tmp_path: Path) -> None:
    """The safety region sets a role the care region sets three states further down."""
    safety = 'veiligheidsregie: {holders: [politie], source: "§2.3.3"}'
    both = f"{safety}\n{' ' * 24}zorgregie: {{holders: [ggz-aanbieder]}}"
    (problem,) = _broken(tmp_path, safety, both)
    assert problem.path == f"{TRAJECT}.substates"
    assert problem.message == (
        "role 'zorgregie' is set in two parallel regions "
        "(fase3.verward.traject.zorg, fase3.verward.traject.veiligheid)"
    )


def test_a_role_of_the_track_set_in_the_household_region_is_refused(tmp_path: Path) -> None:
    household = 'casusregie: {holders: [wijkteam], eligible: [wijkteam, client], source: "§2.3"}'
    with_track = f"{household}\n{' ' * 18}zorgregie: {{holders: [mass-oggz]}}"
    (problem,) = _broken(tmp_path, household, with_track)
    assert problem.path == "phases.fase3.substates"
    assert "(fase3.huishouden, fase3.verward)" in problem.message


def test_when_belongs_under_a_compound_state_only(tmp_path: Path) -> None:
    region = "title: Veiligheid\n"
    (problem,) = _broken(tmp_path, region, f"{region}{' ' * 22}when: {{measures: some}}\n")
    assert problem.path == f"{TRAJECT}.substates.states.veiligheid.when"
    assert "parallel region of fase3.verward.traject" in problem.message
    assert _written_at(problem) == "when: {measures: some}"


def test_two_frames_that_hold_at_once_are_refused_not_run_for_ever(tmp_path: Path) -> None:
    problems = _broken(tmp_path, "when: {measures: none}", "when: {measures: some}", count=2)
    assert [p.path for p in problems] == [
        f"{HUISHOUDEN}.substates.states.gedwongen.when",
        f"{ZORG}.substates.states.gedwongen.when",
    ]
    assert "back and forth" in problems[1].message


def test_a_version_1_card_may_not_nest_sub_states(tmp_path: Path) -> None:
    problems = _broken(tmp_path, "regiekaart: 2\n", "regiekaart: 1\n")
    assert [p.path for p in problems] == [
        f"{HUISHOUDEN}.substates",
        "phases.fase3.substates.states.verward.substates",
    ]
    assert [_written_at(p) for p in problems] == ["substates:", "substates:"]
    assert "need regiekaart: 2 or later, but the card says regiekaart: 1" in problems[0].message


# -- hostile input ------------------------------------------------------------------------


def _deep_card(levels: int) -> str:
    lines = [
        "regiekaart: 2",
        "id: diep",
        "title: Diep",
        "parties: {a: {name: A, kind: professional}}",
        "roles: {r: {title: R}}",
        "criteria: {c: {text: C}}",
        "phases:",
        "  p:",
        "    order: 1",
        "    title: P",
        "    initial: true",
        "    roles: {r: {holders: [a]}}",
    ]
    indent = "    "
    for level in range(levels):
        lines += [f"{indent}substates:", f"{indent}  states:", f"{indent}    s{level}:"]
        indent += "      "
        lines += [f"{indent}title: S{level}", f"{indent}initial: true"]
    return "\n".join(lines) + "\n"


def test_states_nest_as_deep_as_the_depth_limit_allows(tmp_path: Path) -> None:
    path = tmp_path / "diep.yaml"
    path.write_text(_deep_card(20), "utf-8")
    policy = load_policy(path)
    deepest = "p." + ".".join(f"s{level}" for level in range(20))
    assert deepest in policy.states
    case = Case.create(policy, "diep", actor="a", members=(), clock=StepClock())
    assert len(case.configuration) == 21
    assert case.configuration[-1] == deepest


def test_nesting_deeper_than_the_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "diep.yaml"
    path.write_text(_deep_card(40), "utf-8")
    with pytest.raises(LimitExceeded) as refused:
        load_policy(path)
    assert refused.value.limit == "max_depth"
    assert refused.value.file == str(path)
    assert refused.value.line is not None
    assert "nested too deeply" in str(refused.value)


def test_each_file_of_an_extends_chain_is_held_to_its_own_version(tmp_path: Path) -> None:
    """A version-1 card may extend the nested card; it may not nest sub-states itself."""
    (tmp_path / "nested.yaml").write_text(CARD.read_text("utf-8"), "utf-8")
    local = tmp_path / "lokaal.yaml"
    head = "regiekaart: 1\nextends: nested.yaml\nid: lokaal\ntitle: Lokaal\n"
    local.write_text(head, "utf-8")
    assert "fase3.verward.traject.zorg.gedwongen" in load_policy(local).states
    nesting = (
        "phases:\n  fase2:\n    substates:\n      states:\n        kader:\n"
        "          title: Kader\n          initial: true\n          substates:\n"
        "            states:\n              binnen: {title: Binnen, initial: true}\n"
    )
    local.write_text(head + nesting, "utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(local)
    assert refused.value.path == "phases.fase2.substates.states.kader.substates"
    assert (refused.value.file, refused.value.line) == (str(local), 12)
    assert "need regiekaart: 2" in refused.value.message
    local.write_text(head.replace("regiekaart: 1", "regiekaart: 2") + nesting, "utf-8")
    assert "fase2.kader.binnen" in load_policy(local).states


# -- any tree the card language allows ----------------------------------------------------


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """Sub-states as a card writes them: compound or parallel, up to four levels, the
    frames of a compound state following the measures or not."""
    count = draw(st.integers(min_value=0 if depth else 1, max_value=3 if depth < 3 else 0))
    if count == 0:
        return {}
    parallel = draw(st.booleans())
    states: dict[str, Any] = {}
    whens = draw(st.sampled_from([(), ("none", "some"), ("some",)])) if not parallel else ()
    for index in range(count):
        state: dict[str, Any] = {"title": f"S{depth}{index}"}
        if not parallel and index == 0:
            state["initial"] = True
        if index < len(whens):
            state["when"] = {"measures": whens[index]}
        inner = draw(_trees(depth + 1))
        if inner:
            state["substates"] = inner
        states[f"s{index}"] = state
    return {"parallel": parallel, "states": states}


def _tree_card(tree: dict[str, Any]) -> dict[str, Any]:
    """A card of two phases: the tree under the second, a step into every state of it
    (each state with a role of its own) and one back."""
    roles: dict[str, Any] = {}
    steps: dict[str, Any] = {}

    def visit(substates: dict[str, Any], qualified: str) -> None:
        for sid, state in substates.get("states", {}).items():
            role = f"r-{len(roles)}"
            roles[role] = {"title": role}
            state["roles"] = {role: {"holders": ["a"]}}
            steps[f"naar-{len(steps)}"] = {"to": f"{qualified}.{sid}"}
            visit(state.get("substates", {}), f"{qualified}.{sid}")

    visit(tree, "p2")
    rules = {
        rid: {"kind": "escalate", "from": "p1", "to": s["to"], "deciders": ["a"]}
        for rid, s in {"naar-p2": {"to": "p2"}, **steps}.items()
    }
    rules["terug"] = {"kind": "deescalate", "from": "p2", "to": "p1", "deciders": ["a"]}
    return {
        "regiekaart": 2,
        "id": "boom",
        "title": "Boom",
        "member_groups": {"g": "G"},
        "parties": {"a": {"name": "A", "kind": "professional"}},
        "roles": {"r": {"title": "R"}, **roles},
        "criteria": {"c": {"text": "C"}},
        "phases": {
            "p1": {"order": 1, "title": "P1", "initial": True, "roles": {"r": {"holders": ["a"]}}},
            "p2": {"order": 2, "title": "P2", "substates": tree},
        },
        "transitions": rules,
        "measures": {
            "applies_in": ["p2"],
            "options": {
                "m": {"title": "M", "group": "g", "imposed_by": ["a"], "roles": {"r": ["a"]}}
            },
        },
    }


def _frames_follow(policy: Policy, configuration: tuple[str, ...], measures: bool) -> None:
    """Every active compound state is in the sub-state its ``when`` calls for."""
    wanted = "some" if measures else "none"
    for state_id in configuration:
        state = policy.states[state_id]
        if state.parallel:
            continue
        for child in state.children:
            if policy.states[child].when_measures == wanted:
                assert child in configuration, (state_id, child, configuration)


@settings(max_examples=30, derandomize=True, deadline=None, database=None)
@given(tree=_trees())
def test_any_tree_of_states_runs_restores_and_follows_the_measures(tree: dict[str, Any]) -> None:
    """For any tree of sub-states: a step into any state is where the look-ahead said,
    the configuration is one the chart can be in, every active state's role is held, a
    measure moves every frame at once and back, and a snapshot restores the same case."""
    policy = load_policy_document(_tree_card(tree), name="boom.yaml")
    member = Member(id="lid", group="g")
    for rule in policy.transitions.values():
        if rule.source_state != "p1":
            continue
        case = Case.create(policy, "boom", actor="a", members=(member,), clock=StepClock())
        ahead = target_configuration(policy, str(rule.target_state), case.state.facts)
        case.apply(Escalate(actor="a", to=str(rule.target_state)))
        assert case.configuration == tuple(sorted(ahead))
        for command, imposed in ((None, False), (ImposeMeasure, True), (EndMeasure, False)):
            if command is not None:
                case.apply(command(actor="a", measure="m", member="lid"))
            assert configuration_problems(policy, case.configuration) == []
            declared = {r for s in case.configuration for r in policy.states[s].roles}
            assert declared == set(case.roles)
            _frames_follow(policy, case.configuration, imposed)
        assert Case.restore(policy, case.snapshot()).state == case.state
        case.apply(Deescalate(actor="a", to="p1"))
        assert case.configuration == ("p1",)
