"""Reading policy files: the shipped cards load, and every bad card is told where it is wrong.

A policy officer who mistypes a party must read the file, the line and the key path of
the mistake and what would have been accepted — never a traceback (issue: "Errors name
file, line and path and say what was expected").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from case_stories import MACHINES, POLICIES
from regiekaart import Policy, PolicyError, PolicyErrors, load_policy, policy_schema
from regiekaart.policy.sourcemap import locate


def _error(name: str) -> PolicyError:
    with pytest.raises(PolicyError) as raised:
        load_policy(POLICIES / f"{name}.yaml")
    return raised.value


# -- the shipped cards -----------------------------------------------------------------


def test_universal_card_loads_with_its_four_phases(universeel: Policy) -> None:
    assert [p.id for p in universeel.phases()] == ["fase1", "fase2", "fase3", "fase4"]
    assert universeel.extends == ()
    assert universeel.overrides == ()
    assert universeel.initial_state().id == "fase1"


def test_west_brabant_extends_the_universal_card(west_brabant: Policy) -> None:
    assert west_brabant.id == "west-brabant"
    assert west_brabant.extends == ("universeel",)
    assert [p.id for p in west_brabant.phases()] == ["fase1", "fase2", "fase3", "fase4"]


def test_west_brabant_lists_what_it_changes_and_nothing_it_inherits(west_brabant: Policy) -> None:
    """§2.1: West-Brabant's own are the Zorg- en Veiligheidshuizen per werkgebied, the
    PSHi at GGD West-Brabant, the Sociaal Calamiteitenprotocol District Baronie and the
    working agreements; the rest of the card is the universal one."""
    overrides = set(west_brabant.overrides)
    assert {
        "parties.veiligheidshuis",
        "parties.zvh-baronie",
        "parties.zvh-markiezaten",
        "parties.coordinator-pshi.name",
        "phases.fase3.roles.procesregie.eligible",
        "decisions.fase3-plan.by",
        "decisions.fase3-plan.title",
        "decisions.sociaal-calamiteitenprotocol-baronie",
        "agreements.convenant-pshi",
        "agreements.sociaal-calamiteitenprotocol-baronie",
    } <= overrides
    assert not any(o.startswith(("criteria.", "phases.fase1", "phases.fase2")) for o in overrides)
    assert not any(o.startswith("transitions.afschalen") for o in overrides)


def test_an_inherited_rule_keeps_the_location_in_the_universal_card(west_brabant: Policy) -> None:
    file, line = locate(west_brabant.sources, "transitions.afschalen-4-3.requires")
    assert file is not None
    assert file.endswith("universeel.yaml")
    assert line is not None
    assert line > 1
    file, line = locate(west_brabant.sources, "agreements.convenant-pshi.phases")
    assert file is not None
    assert file.endswith("west-brabant.yaml")


def test_loading_twice_gives_the_same_digest(west_brabant: Policy) -> None:
    again = load_policy(MACHINES / "west-brabant.yaml")
    assert again == west_brabant
    assert again.digest == west_brabant.digest


def test_the_schema_ships_with_the_package() -> None:
    schema = policy_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert "agreements" in schema["properties"]


# -- bad cards: file, line, path and what was expected ------------------------------------


def test_a_yaml_syntax_error_names_the_file_and_line() -> None:
    error = _error("yaml-syntax-error")
    assert error.file is not None
    assert error.file.endswith("yaml-syntax-error.yaml")
    assert error.line == 10
    assert "YAML syntax error" in error.message
    assert str(error).startswith(f"{error.file}:10")


def test_a_duplicate_key_is_not_silently_overwritten() -> None:
    error = _error("duplicate-key")
    assert (error.line, error.path) == (7, "parties.wijkteam")
    assert "duplicate key 'wijkteam'" in error.message


def test_an_unknown_party_names_the_cell_and_the_known_parties() -> None:
    error = _error("unknown-party")
    assert error.file is not None
    assert error.file.endswith("unknown-party.yaml")
    assert (error.line, error.path) == (10, "phases.fase3.roles.procesregie.holders[0]")
    assert "unknown party 'veiligheidhuis'" in error.message
    assert "veiligheidshuis" in error.message
    assert "eligible[0]" in str(error), "every problem is reported at once"


def test_a_role_without_a_holder_says_how_to_give_it_one() -> None:
    error = _error("role-without-holder")
    assert (error.line, error.path) == (9, "phases.fase2.roles.operationeel_verantwoordelijk")
    assert "has no holder" in error.message
    assert "optional" in error.message


def test_a_transition_to_an_unknown_phase_lists_the_known_ones() -> None:
    error = _error("transition-to-unknown-phase")
    assert (error.line, error.path) == (8, "transitions.opschalen-3-4.to")
    assert "unknown phase 'fase5'" in error.message
    assert "fase4" in error.message


def test_a_cycle_in_extends_shows_the_chain() -> None:
    error = _error("extends-cycle-a")
    assert error.path == "extends"
    assert error.line == 3
    assert "cycle in extends" in error.message
    assert "extends-cycle-a.yaml → " in error.message
    assert "extends-cycle-b.yaml" in error.message


def test_extending_a_missing_card_names_the_file_looked_for() -> None:
    error = _error("extends-missing")
    assert (error.line, error.path) == (3, "extends")
    assert "nergens.yaml" in error.message


def test_an_unknown_key_is_located_at_the_key_itself() -> None:
    """A schema error inside an entry that may also be null points at the wrong key,
    not at the whole entry."""
    error = _error("unknown-key")
    assert (error.line, error.path) == (8, "phases.fase1.kleur")
    assert "'kleur' was unexpected" in error.message
    assert "regiekaart schema" in error.message


def test_a_measure_in_the_old_format_is_told_where_and_what_is_wanted() -> None:
    """A measure names its holders under ``roles:``; the former ``casusregie:`` field is
    located at its line, with the missing key named."""
    with pytest.raises(PolicyErrors) as raised:
        load_policy(POLICIES / "measure-old-field.yaml")
    found = {(e.line, e.path) for e in raised.value.errors}
    assert (13, "measures.options.toezicht.casusregie") in found
    assert any("'roles' is a required property" in e.message for e in raised.value.errors)


def test_a_measure_that_fills_an_unknown_role_is_refused() -> None:
    error = _error("measure-unknown-role")
    assert (error.line, error.path) == (13, "measures.options.toezicht.roles.regie")
    assert "unknown role 'regie'" in error.message


def test_an_agreement_in_an_unknown_phase_is_refused() -> None:
    error = _error("agreement-unknown-phase")
    assert (error.line, error.path) == (9, "agreements.draaiboek.phases[1]")
    assert "unknown phase 'fase5'" in error.message


def test_an_agreement_needs_its_source() -> None:
    error = _error("agreement-without-source")
    assert (error.line, error.path) == (7, "agreements.draaiboek")
    assert "'source' is a required property" in error.message


def test_an_unknown_check_kind_lists_the_known_ones() -> None:
    error = _error("invariant-unknown-check")
    assert (error.line, error.path) == (12, "invariants.nieuw.checks[0].altijd_goed")
    assert "unknown check 'altijd_goed'" in error.message
    assert "role_held" in error.message
    assert "unknown role 'regie'" in str(error)


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "bestaat-niet.yaml")


def test_an_empty_file_and_a_list_are_not_policies(tmp_path: Path) -> None:
    empty = tmp_path / "leeg.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PolicyError, match="empty"):
        load_policy(empty)
    listed = tmp_path / "lijst.yaml"
    listed.write_text("- fase1\n- fase2\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="mapping"):
        load_policy(listed)


def test_yes_and_no_stay_text(tmp_path: Path) -> None:
    """YAML 1.1 would read ``no`` as false; an id called ``no`` must stay an id."""
    card = tmp_path / "kaart.yaml"
    card.write_text(
        f"regiekaart: 1\nextends: {MACHINES / 'universeel.yaml'}\nid: jaknee\ntitle: t\n"
        "criteria:\n  no: {text: Nee, source: test}\n",
        encoding="utf-8",
    )
    assert "no" in load_policy(card).criteria
