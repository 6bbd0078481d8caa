"""The guards of a transition, one by one, and the order in which they refuse.

Each guard returns the refusal it would give; the chart uses them as its conditions and
the runtime asks the same functions which one failed, so the reason a professional
reads is the reason the chart refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from regiekaart import (
    ChangeLevel,
    CloseCase,
    Command,
    CriteriaNotMet,
    Deescalate,
    Escalate,
    HolderRequired,
    IneligibleHolder,
    NotAuthorized,
    Policy,
    PreconditionNotMet,
)
from regiekaart.policy.criteria import AllOf
from regiekaart.runtime.guards import (
    GUARDS,
    Work,
    criteria,
    deciders,
    dominance,
    first_refusal,
    holders,
    preconditions,
)
from regiekaart.runtime.records import ActiveMeasure, CaseState, Facts
from regiekaart.runtime.roles import target_configuration

NO_FACTS = Facts()


def _work(
    policy: Policy,
    rule_id: str,
    command: Command,
    configuration: Sequence[str],
    roles: Mapping[str, tuple[str, ...]],
    facts: Facts = NO_FACTS,
) -> Work:
    rule = policy.transitions[rule_id]
    before = CaseState(configuration=tuple(configuration), roles=dict(roles), facts=facts)
    dominance = getattr(command, "dominance", None)
    if facts.dominance is None and dominance:
        facts = attrs.evolve(facts, dominance=dominance)
    target = (
        frozenset(configuration)
        if rule.target_state is None
        else target_configuration(policy, rule.target_state, facts)
    )
    return Work(
        policy=policy,
        command=command,
        before=before,
        facts=facts,
        rule=rule,
        chosen=dict(command.holders),
        assigned=dict(rule.assign),
        roles=dict(roles),
        target=target,
    )


FASE1 = ("fase1",)
FASE1_ROLES = {"casusregie": ("client",), "bestuurlijk_verantwoordelijk": ("wethouder",)}
FASE2 = ("fase2", "fase2.vrijwillig")
FASE2_ROLES = {
    "casusregie": ("wijkteam",),
    "bestuurlijk_verantwoordelijk": ("wethouder",),
    "operationeel_verantwoordelijk": ("teamleider-toegang",),
    "in_overleg_met": ("zorgaanbieder", "specialistische-teams", "wijkteam", "veilig-thuis"),
}


def test_only_the_named_decider_may_decide(universeel: Policy) -> None:
    """§2.3.1: het wijkteam bepaalt of er wordt opgeschaald naar fase 2."""
    ok = _work(
        universeel,
        "opschalen-1-2",
        Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]),
        FASE1,
        FASE1_ROLES,
    )
    assert deciders(universeel.transitions["opschalen-1-2"], ok) is None
    wrong = _work(
        universeel,
        "opschalen-1-2",
        Escalate(actor="client", to="fase2", criteria=["hulpbehoefte"]),
        FASE1,
        FASE1_ROLES,
    )
    refusal = deciders(universeel.transitions["opschalen-1-2"], wrong)
    assert isinstance(refusal, NotAuthorized)
    assert refusal.rule == "opschalen-1-2"
    assert refusal.source == "§2.3.1, Bijlage 2"
    assert "Sociaal wijkteam / Toegang" in str(refusal)


def test_deciders_together_fill_every_slot(universeel: Policy) -> None:
    """§2.3.2: de casusregisseur is samen met de procesregisseur verantwoordelijk voor
    het opschalen naar fase 3."""
    rule = universeel.transitions["opschalen-2-3"]
    alone = _work(
        universeel,
        "opschalen-2-3",
        Escalate(actor="wijkteam", to="fase3", criteria=["overlast"], dominance="zorg"),
        FASE2,
        FASE2_ROLES,
    )
    assert isinstance(deciders(rule, alone), NotAuthorized)
    with_mass = _work(
        universeel,
        "opschalen-2-3",
        Escalate(
            actor="wijkteam",
            together=["mass-oggz"],
            to="fase3",
            criteria=["overlast"],
            dominance="zorg",
        ),
        FASE2,
        FASE2_ROLES,
    )
    assert deciders(rule, with_mass) is None


def test_a_criterion_of_the_rule_must_be_invoked(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-1-2"]
    none = _work(
        universeel, "opschalen-1-2", Escalate(actor="wijkteam", to="fase2"), FASE1, FASE1_ROLES
    )
    refusal = criteria(rule, none)
    assert isinstance(refusal, CriteriaNotMet)
    assert "hulpbehoefte, noodzaak-hulp" in str(refusal)
    foreign = _work(
        universeel,
        "opschalen-1-2",
        Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte", "overlast"]),
        FASE1,
        FASE1_ROLES,
    )
    refusal = criteria(rule, foreign)
    assert isinstance(refusal, CriteriaNotMet)
    assert "overlast is not a criterion of this step" in str(refusal)


def test_all_criteria_when_the_rule_says_all(universeel: Policy) -> None:
    rule = attrs.evolve(
        universeel.transitions["opschalen-1-2"],
        requirement=AllOf(("hulpbehoefte", "noodzaak-hulp")),
    )
    work = _work(
        universeel,
        "opschalen-1-2",
        Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]),
        FASE1,
        FASE1_ROLES,
    )
    refusal = criteria(rule, work)
    assert isinstance(refusal, CriteriaNotMet)
    assert "needs all of: hulpbehoefte, noodzaak-hulp — missing noodzaak-hulp" in str(refusal)


def test_a_rule_without_criteria_accepts_any(universeel: Policy) -> None:
    """Closing the case (§2.3.1) names no criteria; a reason in criteria does not block it."""
    rule = universeel.transitions["afsluiten"]
    work = _work(
        universeel,
        "afsluiten",
        CloseCase(actor="wijkteam", criteria=["geen-overlast"]),
        FASE1,
        FASE1_ROLES,
    )
    assert (rule.criteria, rule.requirement) == ((), None)
    assert criteria(rule, work) is None


def test_leaving_fase4_requires_the_plan_for_fase3(universeel: Policy) -> None:
    """§2.3.4: het Veiligheidshuis maakt eerst een aanpak voor fase 3."""
    rule = universeel.transitions["afschalen-4-3"]
    fase4 = ("fase4", "fase4.veiligheid", "fase4.zorg")
    command = Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"])
    without = _work(universeel, "afschalen-4-3", command, fase4, {})
    refusal = preconditions(rule, without)
    assert isinstance(refusal, PreconditionNotMet)
    assert "requires fase3-plan first" in str(refusal)
    assert "Aanpak voor fase 3 gemaakt door het Veiligheidshuis (fase3-plan)" in str(refusal)
    planned = _work(
        universeel, "afschalen-4-3", command, fase4, {}, Facts(flags=(("fase3-plan", "fase4"),))
    )
    assert preconditions(rule, planned) is None


def test_measures_in_force_keep_the_case_where_measures_apply(universeel: Policy) -> None:
    rule = universeel.transitions["afschalen-2-1"]
    facts = Facts(measures=(ActiveMeasure(measure="ots", member="kind"),))
    command = Deescalate(actor="wijkteam", to="fase1", criteria=["veilige-huisvesting"])
    work = _work(
        universeel, "afschalen-2-1", command, ("fase2", "fase2.gedwongen"), FASE2_ROLES, facts
    )
    refusal = preconditions(rule, work)
    assert isinstance(refusal, PreconditionNotMet)
    assert "fase2, fase3, fase4" in str(refusal)


def test_fase3_needs_the_dominant_problem_named(universeel: Policy) -> None:
    """§2.3.2: de dominante problematiek bepaalt wie procesregie neemt."""
    rule = universeel.transitions["opschalen-2-3"]
    command = Escalate(
        actor="wijkteam", together=["veilig-thuis"], to="fase3", criteria=["overlast"]
    )
    refusal = dominance(rule, _work(universeel, "opschalen-2-3", command, FASE2, FASE2_ROLES))
    assert isinstance(refusal, CriteriaNotMet)
    assert "huiselijk-geweld, zorg, veiligheid, strafbaar-feit" in str(refusal)
    named = attrs.evolve(command, dominance="veiligheid")
    assert dominance(rule, _work(universeel, "opschalen-2-3", named, FASE2, FASE2_ROLES)) is None


def test_a_chosen_holder_must_be_eligible_in_the_target(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-1-2"]

    def refusal(chosen: dict[str, list[str]]) -> object:
        command = Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"], holders=chosen)
        return holders(rule, _work(universeel, "opschalen-1-2", command, FASE1, FASE1_ROLES))

    assert refusal({"casusregie": ["cjg"]}) is None
    ineligible = refusal({"casusregie": ["reclassering"]})
    assert isinstance(ineligible, IneligibleHolder)
    assert "reclassering may not hold casusregie here" in str(ineligible)
    fixed = refusal({"operationeel_verantwoordelijk": ["burgemeester"]})
    assert isinstance(fixed, IneligibleHolder)
    assert "the card fixes the holders" in str(fixed)
    absent = refusal({"in_overleg_met": ["politie"]})
    assert isinstance(absent, IneligibleHolder)


def test_a_role_limited_to_one_holder_refuses_two(universeel: Policy) -> None:
    roles = {
        **universeel.roles,
        "casusregie": attrs.evolve(universeel.roles["casusregie"], max_holders=1),
    }
    limited = attrs.evolve(universeel, roles=roles, id="een-casusregisseur")
    rule = limited.transitions["opschalen-1-2"]
    command = Escalate(
        actor="wijkteam",
        to="fase2",
        criteria=["hulpbehoefte"],
        holders={"casusregie": ["cjg", "wijkteam"]},
    )
    refusal = holders(rule, _work(limited, "opschalen-1-2", command, FASE1, FASE1_ROLES))
    assert isinstance(refusal, IneligibleHolder)
    assert "2 holders; the card allows at most 1 here" in str(refusal)


def test_a_required_role_without_a_holder_is_refused(west_brabant: Policy) -> None:
    """West-Brabant (§2.1): the procesregisseur of fase 3 under veiligheid dominance is
    the Zorg- en Veiligheidshuis of the werkgebied, which must be named."""
    rule = west_brabant.transitions["opschalen-2-3"]
    command = Escalate(
        actor="wijkteam",
        together=["zvh-baronie"],
        to="fase3",
        criteria=["overlast"],
        dominance="veiligheid",
    )
    refusal = holders(rule, _work(west_brabant, "opschalen-2-3", command, FASE2, FASE2_ROLES))
    assert isinstance(refusal, HolderRequired)
    assert "procesregie needs a holder" in str(refusal)
    named = attrs.evolve(command, holders={"procesregie": ["zvh-baronie"]})
    assert holders(rule, _work(west_brabant, "opschalen-2-3", named, FASE2, FASE2_ROLES)) is None


def test_a_change_within_fase2_projects_its_own_roles(universeel: Policy) -> None:
    rule = universeel.transitions["opschalen-binnen-2"]
    command = ChangeLevel(
        actor="wijkteam",
        direction="up",
        criteria=["veiligheidszaak"],
        holders={"procesregie": ["mass-oggz"]},
    )
    assert (
        holders(rule, _work(universeel, "opschalen-binnen-2", command, FASE2, FASE2_ROLES)) is None
    )
    wrong = attrs.evolve(command, holders={"procesregie": ["veiligheidshuis"]})
    assert isinstance(
        holders(rule, _work(universeel, "opschalen-binnen-2", wrong, FASE2, FASE2_ROLES)),
        IneligibleHolder,
    )


def test_the_decider_is_the_first_reason_given(universeel: Policy) -> None:
    """An outsider without criteria hears that it may not decide, not which criteria."""
    assert GUARDS[0] is deciders
    rule = universeel.transitions["opschalen-1-2"]
    work = _work(
        universeel, "opschalen-1-2", Escalate(actor="client", to="fase2"), FASE1, FASE1_ROLES
    )
    assert isinstance(criteria(rule, work), CriteriaNotMet)
    assert isinstance(first_refusal(rule, work), NotAuthorized)
    ok = _work(
        universeel,
        "opschalen-1-2",
        Escalate(actor="wijkteam", to="fase2", criteria=["noodzaak-hulp"]),
        FASE1,
        FASE1_ROLES,
    )
    assert first_refusal(rule, ok) is None
