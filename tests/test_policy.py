"""The policy model: the card as frozen values, and what the shipped cards say.

These tests read the card the way §2.3 prints it — columns (phases), rows (roles), the
kader sub-states — and check that West-Brabant's own additions are where the
handreiking puts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from regiekaart import Policy


def test_the_card_has_four_columns_in_order_with_their_colours(universeel: Policy) -> None:
    """§1.4: groen, oranje, rood, donkerrood."""
    assert [(p.id, p.colour) for p in universeel.phases()] == [
        ("fase1", "groen"),
        ("fase2", "oranje"),
        ("fase3", "rood"),
        ("fase4", "donkerrood"),
    ]
    assert all(p.is_phase for p in universeel.phases())
    assert not universeel.states["afgesloten"].is_phase


def test_the_kader_and_the_tracks_are_sub_states(universeel: Policy) -> None:
    """§2.3: vrijwillig/gedwongen kader in fase 2 and 3; two parallel tracks in fase 4."""
    assert universeel.states["fase2"].children == ("fase2.vrijwillig", "fase2.gedwongen")
    assert universeel.states["fase3"].children == ("fase3.vrijwillig", "fase3.gedwongen")
    assert universeel.states["fase4"].parallel
    assert universeel.states["fase4"].children == ("fase4.veiligheid", "fase4.zorg")
    assert universeel.states["fase2.gedwongen"].when_measures == "some"
    assert universeel.phase_of("fase3.gedwongen").id == "fase3"
    assert [s.id for s in universeel.ancestors("fase4.zorg")] == ["fase4.zorg", "fase4"]


def test_the_innermost_cell_governs_a_role(universeel: Policy) -> None:
    """Casusregie in the gedwongen kader is the sub-state's cell, not the phase's."""
    active = frozenset({"fase2", "fase2.gedwongen"})
    cell = universeel.role_cell(active, "casusregie")
    assert cell is not None
    assert cell.from_measures
    assert cell.eligible_set == {"gecertificeerde-instelling", "reclassering", "ggz-aanbieder"}
    assert universeel.role_cell(frozenset({"fase1"}), "procesregie") is None


def test_a_cell_without_eligible_list_admits_only_its_default(universeel: Policy) -> None:
    cell = universeel.states["fase2"].roles["operationeel_verantwoordelijk"]
    assert cell.eligible == ()
    assert cell.eligible_set == {"teamleider-toegang"}


def test_party_kinds_tell_client_from_professional(universeel: Policy) -> None:
    assert universeel.party_kind("client") == "client"
    assert universeel.party_kind("wijkteam") == "professional"
    assert universeel.party_kind("burgemeester") == "official"
    assert universeel.party_kind("kinderrechter") == "court"
    assert universeel.party_kind("niemand") == ""


def test_the_policy_is_immutable(universeel: Policy) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        universeel.id = "anders"  # type: ignore[misc]


@pytest.mark.parametrize("card", ["universeel", "west_brabant"])
def test_every_rule_cites_its_source(card: str, request: pytest.FixtureRequest) -> None:
    """Every rule carries its section of the handreiking so reports can cite it."""
    policy: Policy = request.getfixturevalue(card)
    collections: dict[str, Mapping[str, Any]] = {
        "transitions": policy.transitions,
        "criteria": policy.criteria,
        "measures": policy.measures,
        "dominance": policy.dominance,
        "activities": policy.activities,
        "decisions": policy.decisions,
        "obligations": policy.obligations,
        "invariants": policy.invariants,
        "prohibitions": policy.prohibitions,
        "agreements": policy.agreements,
    }
    missing = [
        f"{name}.{key}"
        for name, items in collections.items()
        for key, item in items.items()
        if not item.source
    ]
    cells = [
        f"{state.id}.{role}"
        for state in policy.states.values()
        for role, cell in state.roles.items()
        if not cell.source
    ]
    assert missing == []
    assert cells == []


# -- working agreements -------------------------------------------------------------------


def test_the_universal_card_names_only_universal_agreements(universeel: Policy) -> None:
    """The lists of §2.3.1-§2.3.4 are West-Brabant examples (§1.4); the Meldcode holds for
    all professionals (Bijlage 1) and GRIP follows growing unrest (Bijlage 2)."""
    assert set(universeel.agreements) == {"meldcode", "grip"}
    assert universeel.agreements["meldcode"].phases == ("fase1", "fase2", "fase3", "fase4")
    assert [a.id for a in universeel.agreements_in("fase4")] == ["meldcode", "grip"]


def test_west_brabant_lists_its_agreements_per_phase(west_brabant: Policy) -> None:
    """The 'Bestaande werkafspraken, routes en richtlijnen' of §2.3.1-§2.3.4."""

    def ids(phase: str) -> set[str]:
        return {a.id for a in west_brabant.agreements_in(phase)}

    assert {"vroegsignalering", "basisondersteuning", "meldcode"} <= ids("fase1")
    assert {
        "samenwerking-veilig-thuis",
        "samenwerking-gecertificeerde-instellingen",
        "spoedzorg",
        "verwijsindex-risicojongeren",
        "samenwerking-raad-kinderbescherming",
        "convenant-mass",
        "meldcode",
    } <= ids("fase2")
    assert {"protocol-maatschappelijke-onrust", "opschalingsdraaiboeken"} <= ids("fase3")
    assert {
        "sociaal-calamiteitenprotocol-baronie",
        "handboek-psh",
        "convenant-pshi",
        "grip",
    } <= ids("fase4")
    assert "convenant-pshi" not in ids("fase3")


# -- West-Brabant's own parties -----------------------------------------------------------


def test_west_brabant_has_a_zorg_en_veiligheidshuis_per_werkgebied(west_brabant: Policy) -> None:
    """§2.1: de-escaleren krijgt regionaal vorm per werkgebied van het Veiligheidshuis."""
    assert "veiligheidshuis" not in west_brabant.parties
    for zvh in ("zvh-baronie", "zvh-markiezaten"):
        assert west_brabant.party_kind(zvh) == "professional"
    procesregie = west_brabant.states["fase3"].roles["procesregie"]
    assert {"zvh-baronie", "zvh-markiezaten"} <= procesregie.eligible_set
    assert procesregie.holders == (), "which huis depends on the werkgebied: no default"
    assert west_brabant.decisions["fase3-plan"].by == (("zvh-baronie",), ("zvh-markiezaten",))
    assert "procesregie" not in west_brabant.dominance["veiligheid"].roles
    assert west_brabant.dominance["veiligheid"].roles["bestuurlijk_verantwoordelijk"] == (
        "burgemeester",
    )


def test_west_brabant_places_the_pshi_at_ggd_west_brabant(west_brabant: Policy) -> None:
    """§1.6, §2.3.4: Convenant PSHi, coördinator PSHi-team at GGD West-Brabant."""
    assert "GGD West-Brabant" in west_brabant.parties["coordinator-pshi"].name
    assert west_brabant.states["fase4"].roles["procesregie"].holders == (
        "ambtenaar-oov",
        "coordinator-pshi",
    )


def test_the_sociaal_calamiteitenprotocol_baronie_is_the_burgemeesters_decision(
    west_brabant: Policy,
) -> None:
    """§2.3.4: in fase 4 the burgemeester declares the Sociaal Calamiteitenprotocol."""
    decision = west_brabant.decisions["sociaal-calamiteitenprotocol-baronie"]
    assert decision.by == (("burgemeester",),)
    assert decision.in_states == ("fase4",)
    assert decision.sets == "sociaal-calamiteitenprotocol"


def test_the_universal_card_is_unchanged_by_west_brabant(
    universeel: Policy, west_brabant: Policy
) -> None:
    assert universeel.transitions["afschalen-4-3"] == west_brabant.transitions["afschalen-4-3"]
    assert universeel.criteria == west_brabant.criteria
    assert universeel.digest != west_brabant.digest
