"""Who may decide: the acting party and its co-deciders against a rule's deciders.

A rule's deciders are alternatives; each is a group of slots filled by distinct parties
("de casusregisseur samen met de procesregisseur", §2.3.2). A slot is a party, the
current holder of a role, or any one of several.
"""

from __future__ import annotations

from regiekaart import Policy
from regiekaart.runtime.authority import authorized, describe, slot_parties

CARD = Policy(
    id="kaart",
    title="Kaart",
    version="",
    parties={},
    roles={},
    states={},
    transitions={},
    criteria={},
)
"""A card without party groups: the deciders below name parties and roles only."""

FASE2_WITH_PROCESREGIE = {"casusregie": ("cjg",), "procesregie": ("mass-oggz",)}
ESCALATE_2_3 = (
    ("role:casusregie", "role:procesregie|veilig-thuis|veiligheidshuis"),
    ("wijkteam", "role:procesregie|veilig-thuis|veiligheidshuis"),
)


def test_a_slot_names_a_party_a_role_holder_or_any_of_several() -> None:
    roles = {"casusregie": ("gecertificeerde-instelling", "reclassering")}
    assert slot_parties("wijkteam", roles) == {"wijkteam"}
    assert slot_parties("role:casusregie", roles) == {"gecertificeerde-instelling", "reclassering"}
    assert slot_parties("role:procesregie", roles) == set()
    assert slot_parties("role:casusregie|wijkteam", roles) == {
        "gecertificeerde-instelling",
        "reclassering",
        "wijkteam",
    }


def test_a_single_decider_decides_alone() -> None:
    """§2.3.3: de ambtenaar OOV beslist over opschaling naar fase 4."""
    assert authorized([("ambtenaar-oov",)], "ambtenaar-oov", (), {}, CARD)
    assert not authorized([("ambtenaar-oov",)], "burgemeester", (), {}, CARD)


def test_the_casusregisseur_escalates_to_fase3_only_together_with_a_procesregisseur() -> None:
    """§2.3.2: samen met de procesregisseur (van Veilig Thuis, Veiligheidshuis of MaSS/OGGZ)."""
    roles = FASE2_WITH_PROCESREGIE
    assert not authorized(ESCALATE_2_3, "cjg", (), roles, CARD)
    assert authorized(ESCALATE_2_3, "cjg", ("mass-oggz",), roles, CARD)
    assert authorized(ESCALATE_2_3, "cjg", ("veilig-thuis",), roles, CARD)
    assert authorized(ESCALATE_2_3, "wijkteam", ("veiligheidshuis",), roles, CARD)
    assert not authorized(ESCALATE_2_3, "zorgaanbieder", ("mass-oggz",), roles, CARD)


def test_the_actor_must_fill_a_slot_itself() -> None:
    """Co-deciders support a decision; they do not make it for an outsider."""
    assert not authorized(
        ESCALATE_2_3, "client", ("cjg", "mass-oggz"), FASE2_WITH_PROCESREGIE, CARD
    )


def test_one_party_cannot_fill_two_slots() -> None:
    roles = {"casusregie": ("veilig-thuis",), "procesregie": ("veilig-thuis",)}
    assert not authorized(ESCALATE_2_3, "veilig-thuis", (), roles, CARD)
    assert not authorized(ESCALATE_2_3, "veilig-thuis", ("veilig-thuis",), roles, CARD)
    assert authorized(ESCALATE_2_3, "wijkteam", ("veilig-thuis",), roles, CARD)


def test_the_slots_may_be_filled_in_any_order() -> None:
    """The actor may be the procesregisseur with the casusregisseur as co-decider."""
    assert authorized(ESCALATE_2_3, "mass-oggz", ("cjg",), FASE2_WITH_PROCESREGIE, CARD)


def test_three_deciders_together() -> None:
    """§2.3.3: the klein team — ambtenaar OOV, politie and OM — assess the risk jointly."""
    klein_team = [("ambtenaar-oov", "politie", "om")]
    assert authorized(klein_team, "politie", ("om", "ambtenaar-oov"), {}, CARD)
    assert not authorized(klein_team, "politie", ("om",), {}, CARD)
    assert not authorized([], "burgemeester", (), {}, CARD)


def test_deciders_are_described_in_the_cards_words(universeel: Policy) -> None:
    text = describe(universeel.transitions["opschalen-2-3"].deciders, universeel)
    assert text.startswith(
        "the holder of Casusregie together with the holder of Procesregie or Veilig Thuis"
    )
    assert "; or Sociaal wijkteam / Toegang together with" in text
    assert describe((), universeel) == "nobody"
