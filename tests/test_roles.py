"""Who holds which role: the cells of the card applied to a case.

Holder resolution, first that applies: the command's choice, the transition's
assignment, the measures (gedwongen kader), the dominance (fase 3), the current holder
if still eligible, and the card's default. Roles no active state declares are released:
"niet meer professionals dan nodig" (gedragsregel 2).
"""

from __future__ import annotations

from regiekaart import Policy
from regiekaart.runtime.records import ActiveMeasure, Facts
from regiekaart.runtime.roles import (
    apply_change,
    depth,
    enter_state,
    project,
    required_roles,
    resolve_cell,
    select_child,
    settle,
    target_configuration,
)

OTS = Facts(measures=(ActiveMeasure(measure="ots", member="kind"),))
TWO_MEASURES = Facts(
    measures=(
        ActiveMeasure(measure="ots", member="kind"),
        ActiveMeasure(measure="reclasseringstoezicht", member="ouder"),
    )
)


def test_entering_a_phase_descends_into_the_kader_the_facts_call_for(universeel: Policy) -> None:
    assert target_configuration(universeel, "fase2", Facts()) == {"fase2", "fase2.vrijwillig"}
    assert target_configuration(universeel, "fase3", OTS) == {"fase3", "fase3.gedwongen"}
    assert select_child(universeel, "fase2", OTS) == "fase2.gedwongen"
    assert select_child(universeel, "fase3", Facts()) == "fase3.vrijwillig"


def test_entering_fase4_activates_both_tracks(universeel: Policy) -> None:
    assert target_configuration(universeel, "fase4", Facts()) == {
        "fase4",
        "fase4.veiligheid",
        "fase4.zorg",
    }


def test_depth_counts_nesting(universeel: Policy) -> None:
    assert depth(universeel, "fase1") == 1
    assert depth(universeel, "fase3.gedwongen") == 2


def test_the_commands_choice_comes_first(universeel: Policy) -> None:
    cell = universeel.states["fase2.vrijwillig"].roles["casusregie"]
    chosen = resolve_cell(
        universeel,
        cell,
        ("client",),
        Facts(),
        {"casusregie": ("cjg",)},
        {"casusregie": ("wijkteam",)},
    )
    assert chosen == ("cjg",)


def test_then_the_transitions_assignment(universeel: Policy) -> None:
    """§2.3.1: opschalen to fase 2 puts casusregie at the wijkteam."""
    cell = universeel.states["fase2.vrijwillig"].roles["casusregie"]
    assert resolve_cell(
        universeel, cell, ("client",), Facts(), {}, {"casusregie": ("wijkteam",)}
    ) == ("wijkteam",)


def test_an_ineligible_assignment_falls_through(universeel: Policy) -> None:
    cell = universeel.states["fase3.vrijwillig"].roles["casusregie"]
    assert resolve_cell(universeel, cell, ("cjg",), Facts(), {}, {"casusregie": ("client",)}) == (
        "cjg",
    )


def test_the_measures_give_casusregie_in_the_gedwongen_kader(universeel: Policy) -> None:
    """§2.3: jeugd → gecertificeerde instelling; volwassenen → Reclassering."""
    cell = universeel.states["fase2.gedwongen"].roles["casusregie"]
    assert resolve_cell(universeel, cell, ("wijkteam",), OTS, {}, {}) == (
        "gecertificeerde-instelling",
    )
    assert resolve_cell(universeel, cell, ("wijkteam",), TWO_MEASURES, {}, {}) == (
        "gecertificeerde-instelling",
        "reclassering",
    )


def test_the_dominance_gives_procesregie_in_fase3(universeel: Policy) -> None:
    """§2.3.2: huiselijk geweld → Veilig Thuis; zorg → MaSS/OGGZ; veiligheid → Veiligheidshuis."""
    cell = universeel.states["fase3"].roles["procesregie"]
    for dominance, holder in (
        ("huiselijk-geweld", "veilig-thuis"),
        ("zorg", "mass-oggz"),
        ("veiligheid", "veiligheidshuis"),
    ):
        facts = Facts(dominance=dominance)
        assert resolve_cell(universeel, cell, ("gemeentelijk-procesregisseur",), facts, {}, {}) == (
            holder,
        )


def test_a_current_eligible_holder_is_kept(universeel: Policy) -> None:
    cell = universeel.states["fase3"].roles["procesregie"]
    assert resolve_cell(universeel, cell, ("gemeentelijk-procesregisseur",), Facts(), {}, {}) == (
        "gemeentelijk-procesregisseur",
    )
    assert resolve_cell(universeel, cell, ("ambtenaar-oov",), Facts(), {}, {}) == (
        "veiligheidshuis",
    )


def test_a_cell_that_does_not_keep_takes_its_default(universeel: Policy) -> None:
    """Fase 1's bestuurlijk verantwoordelijke is the wethouder again, whoever it was."""
    cell = universeel.states["fase1"].roles["bestuurlijk_verantwoordelijk"]
    assert not cell.keep
    assert resolve_cell(universeel, cell, ("college",), Facts(), {}, {}) == ("wethouder",)


def test_an_optional_role_is_only_held_when_chosen_or_kept(universeel: Policy) -> None:
    cell = universeel.states["fase2"].roles["procesregie"]
    assert resolve_cell(universeel, cell, (), Facts(), {}, {}) == ()
    assert resolve_cell(universeel, cell, ("mass-oggz",), Facts(), {}, {}) == ("mass-oggz",)


def test_entering_a_state_releases_a_role_its_cell_leaves_empty(universeel: Policy) -> None:
    roles: dict[str, tuple[str, ...]] = {
        "procesregie": ("veiligheidshuis",),
        "casusregie": ("wijkteam",),
    }
    enter_state(universeel, "fase2", roles, Facts(), {}, {})
    assert "procesregie" not in roles, "procesregie verdwijnt wanneer het kan (§2.3.2)"


def test_roles_no_active_state_declares_are_released(universeel: Policy) -> None:
    """Gedragsregel 2: niet meer professionals betrokken dan nodig."""
    roles = {"procesregie": ("veilig-thuis",), "casusregie": ("client",), "in_overleg_met": ()}
    assert settle(universeel, roles, frozenset({"fase1"})) == {"casusregie": ("client",)}
    fase4 = frozenset({"fase4", "fase4.veiligheid", "fase4.zorg"})
    assert list(settle(universeel, {"procesregie": ("x",), "casusregie": ("y",)}, fase4)) == [
        "casusregie",
        "procesregie",
    ], "sorted, for a canonical form"


def test_projection_enters_outer_states_first(universeel: Policy) -> None:
    """The sub-state's casusregie cell (gedwongen kader) overrides the phase's."""
    before = {"casusregie": ("wijkteam",), "bestuurlijk_verantwoordelijk": ("wethouder",)}
    active = frozenset({"fase3", "fase3.gedwongen"})
    after = project(universeel, before, ["fase3.gedwongen", "fase3"], active, OTS, {}, {})
    assert after["casusregie"] == ("gecertificeerde-instelling",)
    assert after["procesregie"] == ("veiligheidshuis",)
    assert list(after) == sorted(after)


def test_a_change_within_a_phase_releases_then_assigns(universeel: Policy) -> None:
    roles = {"casusregie": ("wijkteam",), "procesregie": ("mass-oggz",)}
    assert apply_change(roles, ["procesregie"], {}, {}) == {"casusregie": ("wijkteam",)}
    assert apply_change(
        roles,
        [],
        {"procesregie": ("gemeentelijk-procesregisseur",)},
        {"procesregie": ("veilig-thuis",)},
    ) == {
        "casusregie": ("wijkteam",),
        "procesregie": ("veilig-thuis",),
    }


def test_required_roles_are_the_non_optional_cells(universeel: Policy) -> None:
    fase2 = required_roles(universeel, frozenset({"fase2", "fase2.vrijwillig"}))
    assert "casusregie" in fase2
    assert "procesregie" not in fase2
    assert "behandelregie" not in fase2
    fase3 = required_roles(universeel, frozenset({"fase3", "fase3.vrijwillig"}))
    assert "procesregie" in fase3, "in fase 3 is er een procesregisseur (§2.3.3)"
