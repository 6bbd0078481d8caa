"""The obligations of the handreiking as invariants: each check kind catches a violation.

Every violation here is real: a case run on a deliberately broken card under
tests/policies/ (which inherits the universal card's invariants), or a real log judged
against the universal card's rules. A check that could not fail would prove nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from case_stories import (
    back_to_fase3,
    calamity,
    open_case,
    ots,
    plan_fase3,
    reclassering,
    to_fase2,
    to_fase3,
)
from regiekaart import Case, CloseCase, Deescalate, Escalate, Inform, Policy
from regiekaart.analysis import invariants as invariants_module
from regiekaart.analysis.invariants import (
    CHECKS,
    CaseView,
    Invariant,
    Params,
    invariants_for,
    register_check,
    violations,
)
from regiekaart.policy import checks as policy_checks
from regiekaart.runtime.records import CaseState, Event

Load = Callable[[str], Policy]


@attrs.frozen
class View:
    """A case's state and log judged under another policy's rules."""

    policy: Policy
    state: CaseState
    events: tuple[Event, ...]


def _failing(case: CaseView) -> dict[str, set[str]]:
    """Violated invariant → the check kinds that failed."""
    out: dict[str, set[str]] = {}
    for violation in violations(case):
        out.setdefault(violation.invariant, set()).add(violation.check)
    return out


def test_the_universal_card_declares_the_eleven_obligations(universeel: Policy) -> None:
    """domain.md, "Obligations that hold always", 1-11, each with its section."""
    declared = invariants_for(universeel)
    assert len(declared) == 11
    assert all(inv.source for inv in declared)
    assert {name for inv in declared for name, _ in inv.checks} == set(CHECKS), (
        "the universal card uses every built-in check kind"
    )


@pytest.mark.parametrize("card", ["universeel", "west_brabant"])
def test_every_obligation_holds_through_a_whole_story(
    card: str, request: pytest.FixtureRequest
) -> None:
    policy: Policy = request.getfixturevalue(card)
    case = open_case(policy)
    zvh = "veiligheidshuis" if "veiligheidshuis" in policy.parties else "zvh-baronie"
    assert violations(case) == []
    for step in (
        to_fase2,
        ots,
        reclassering,
        lambda c: to_fase3(c, dominance="huiselijk-geweld"),
        lambda c: c.apply(Inform(actor="veilig-thuis", recipient="ambtenaar-oov")),
        lambda c: c.apply(
            Escalate(actor="ambtenaar-oov", to="fase4", criteria=["dreigende-onrust"])
        ),
        lambda c: plan_fase3(c, by=zvh),
        lambda c: back_to_fase3(c, procesregie=[zvh]),
    ):
        step(case)
        assert violations(case) == [], case.events[-1].rule


# -- each check kind catches its violation ------------------------------------------------


def test_role_held_and_warm_handover_catch_a_casusregie_let_go(test_policy: Load) -> None:
    """Gedragsregel 1 and 2: vanaf fase 2 altijd een casusregisseur; niet loslaten
    voordat een ander overneemt."""
    case = open_case(test_policy("casusregie-losgelaten-fase2"))
    to_fase2(case)
    assert "casusregie" not in case.roles
    failing = _failing(case)
    assert failing["casusregisseur-vanaf-fase2"] == {"role_held"}
    assert failing["warme-overdracht"] == {"warm_handover"}


def test_holder_kind_catches_a_client_as_casusregisseur_in_fase3(test_policy: Load) -> None:
    """§2.3: in fase 3 is casusregie altijd belegd bij een professional."""
    case = open_case(test_policy("client-casusregie-fase3"))
    to_fase2(case)
    to_fase3(case, casusregie=["client"])
    assert case.roles["casusregie"] == ("client",)
    assert _failing(case) == {"casusregisseur-professional": {"holder_kind"}}


def test_holders_include_catches_procesregie_in_fase4_without_pshi(test_policy: Load) -> None:
    """§2.3.4: ambtenaar OOV en coördinator PSHi hebben gezamenlijk procesregie."""
    case = open_case(test_policy("procesregie-fase4-alleen-oov"))
    calamity(case)
    assert _failing(case) == {"procesregie-fase3-fase4": {"holders_include", "holders_between"}}


def test_regions_active_catches_fase4_with_one_track(test_policy: Load) -> None:
    """§2.3: in fase 4 lopen coördinatie op veiligheid en zorgcoördinatie tegelijk."""
    case = open_case(test_policy("fase4-een-spoor"))
    calamity(case)
    assert case.configuration == ("fase4", "fase4.veiligheid")
    assert "regions_active" in _failing(case)["procesregie-fase3-fase4"]


def test_informed_on_entry_catches_fase3_under_veilig_thuis_without_informing(
    test_policy: Load,
) -> None:
    """§2.3.3: neemt Veilig Thuis de regie, dan worden ambtenaar OOV en wethouder geïnformeerd."""
    case = open_case(test_policy("oov-niet-geinformeerd"))
    to_fase2(case)
    to_fase3(case, dominance="huiselijk-geweld")
    assert _failing(case) == {"oov-en-wethouder-geinformeerd": {"informed_on_entry"}}
    detail = violations(case)[0].detail
    assert "without informing ambtenaar-oov, wethouder" in detail


def test_deciders_respected_catches_a_step_by_someone_else(
    universeel: Policy, test_policy: Load
) -> None:
    """§2.3.1: het wijkteam bepaalt of er wordt opgeschaald — a log in which the client
    escalated breaks the universal card's decider rule."""
    case = open_case(test_policy("opschalen-door-client"))
    case.apply(Escalate(actor="client", to="fase2", criteria=["hulpbehoefte"]))
    assert violations(case) == [], "the deviating card's own rule is kept"
    judged = View(policy=universeel, state=case.state, events=case.events)
    assert _failing(judged) == {"alleen-beslissers": {"deciders_respected"}}


def test_no_step_catches_opschalen_beyond_fase4(test_policy: Load) -> None:
    """Bijlage 2: bij fase 4 is geen sprake van verder opschalen."""
    case = open_case(test_policy("fase5"))
    calamity(case)
    case.apply(Escalate(actor="burgemeester", to="fase5"))
    failing = _failing(case)
    assert "no_step" in failing["geen-afschalen-fase1-geen-opschalen-fase4"]
    details = [v.detail for v in violations(case) if v.check == "no_step"]
    assert details == ["the card allows escalate from fase4 (opschalen-4-5)"]


def test_exit_requires_catches_leaving_fase4_without_the_plan(test_policy: Load) -> None:
    """§2.3.4: het Veiligheidshuis maakt eerst een aanpak voor fase 3."""
    case = open_case(test_policy("afschalen-zonder-plan"))
    calamity(case)
    back_to_fase3(case)
    assert _failing(case) == {"geen-afschalen-fase1-geen-opschalen-fase4": {"exit_requires"}}


def test_exit_requires_accepts_the_plan_made_in_fase4(universeel: Policy) -> None:
    case = open_case(universeel)
    calamity(case)
    plan_fase3(case)
    back_to_fase3(case)
    assert violations(case) == []


def test_mutual_informed_catches_two_casusregisseurs_unaware(test_policy: Load) -> None:
    """Bijlage 1: beide casusregisseurs informeren elkaar."""
    case = open_case(test_policy("casusregisseurs-onbekend"))
    to_fase2(case)
    ots(case)
    reclassering(case)
    assert _failing(case) == {"casusregisseurs-kennen-elkaar": {"mutual_informed"}}


def test_roles_declared_catches_a_role_held_beyond_its_phase(universeel: Policy) -> None:
    """Gedragsregel 2: niet meer professionals dan nodig — no procesregisseur in fase 1."""
    case = open_case(universeel)
    state = attrs.evolve(case.state, roles={**case.state.roles, "procesregie": ("veilig-thuis",)})
    judged = View(policy=universeel, state=state, events=case.events)
    assert _failing(judged) == {"niet-meer-professionals-dan-nodig": {"roles_declared"}}


@pytest.mark.slow
def test_path_to_catches_a_dead_end_in_fase3(test_policy: Load) -> None:
    """§1.4, §2.3.3: from every situation there is a way back to fase 1.

    The card has no step out of fase 3 at all, so the search that proves the dead end
    stays small (see tests/policies/fase3-zonder-uitweg.yaml)."""
    case = open_case(test_policy("fase3-zonder-uitweg"))
    to_fase2(case)
    assert violations(case) == []
    to_fase3(case)
    assert _failing(case) == {"geen-doodlopende-situatie": {"path_to"}}


# -- the API for hosts --------------------------------------------------------------------


def test_an_invariant_is_a_named_predicate_with_its_section(universeel: Policy) -> None:
    invariant = next(i for i in invariants_for(universeel) if i.id == "casusregisseur-professional")
    assert invariant.source == "§2.3"
    case = open_case(universeel)
    assert invariant.holds(case)
    assert str(invariant.title).startswith("In fase 3 en 4")


def test_a_host_registers_its_own_check_kind(
    universeel: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A municipality may state its own obligation: here, at most two steps per case."""
    monkeypatch.setattr(invariants_module, "CHECKS", dict(CHECKS))
    monkeypatch.setattr(policy_checks, "KINDS", dict(policy_checks.KINDS))

    @register_check("max_events", {"count": "int"})
    def _max_events(policy: Policy, params: Params, case: CaseView) -> str | None:
        """The case has at most ``count`` events."""
        if len(case.events) > params["count"]:
            return f"{len(case.events)} events"
        return None

    kind = invariants_module.CHECKS["max_events"]
    assert kind.doc == "The case has at most ``count`` events."
    assert policy_checks.KINDS["max_events"].params == {"count": "int"}
    own = Invariant(
        id="kort", title="Korte casus", source="lokaal", checks=(("max_events", {"count": 2}),)
    )
    case = open_case(universeel)
    to_fase2(case)
    assert violations(case, [own]) == []
    case.apply(Inform(actor="wijkteam", recipient="wethouder"))
    found = violations(case, [own])
    assert [(v.invariant, v.check, v.detail) for v in found] == [("kort", "max_events", "3 events")]
    assert str(found[0]) == "Korte casus (lokaal): 3 events"


def test_check_parameters_are_validated(universeel: Policy) -> None:
    kind = CHECKS["role_held"]
    assert kind.validate(universeel, {"role": "casusregie", "in": ["fase2"]}) == []
    assert kind.validate(universeel, {"role": "regie", "in": ["fase9"], "extra": 1}) == [
        "unknown parameter 'extra'",
        "role: unknown role 'regie'",
        "in: unknown state 'fase9'",
    ]
    assert kind.validate(universeel, {}) == [
        "role_held needs parameter 'role' (role)",
        "role_held needs parameter 'in' (states)",
    ]
    assert CHECKS["holders_include"].validate(
        universeel, {"role": "procesregie", "parties": "ambtenaar-oov", "in": ["fase4"]}
    ) == ["parties must be a list"]


def test_a_closed_case_needs_no_way_back(universeel: Policy) -> None:
    case: Case = open_case(universeel)
    to_fase2(case)
    case.apply(Deescalate(actor="wijkteam", to="fase1", criteria=["geen-overlast"]))
    case.apply(CloseCase(actor="wijkteam"))
    assert violations(case) == []


def test_a_kind_declared_without_a_meaning_is_named_when_checked(
    universeel: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that declares a kind in the card's vocabulary but never binds a predicate
    gets an error naming the kind and the call that binds it, not a bare KeyError."""
    monkeypatch.setattr(policy_checks, "KINDS", dict(policy_checks.KINDS))
    policy_checks.declare_check(policy_checks.CheckKind("alleen-woorden", {}))
    own = Invariant(id="x", title="X", source="", checks=(("alleen-woorden", {}),))
    with pytest.raises(LookupError, match=r"'alleen-woorden' has no predicate: .*register_check"):
        violations(open_case(universeel), [own])


def test_every_kind_of_the_vocabulary_has_a_meaning() -> None:
    """The card's vocabulary (policy layer) and the predicates (analysis layer) name the
    same built-in kinds with the same parameters."""
    assert set(policy_checks.KINDS) == set(CHECKS)
    for name, kind in CHECKS.items():
        declared = policy_checks.KINDS[name]
        assert (kind.params, kind.optional, kind.reads) == (
            declared.params,
            declared.optional,
            declared.reads,
        )
