"""The neutral view holds the whole card of §2.3, as every renderer needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from render_support import UNIVERSEEL, cards, universeel, west_brabant

from regiekaart import compile_policy, load_policy
from regiekaart.render.palette import PALETTE, colour
from regiekaart.render.view import card_view

ROLE_ROWS = [
    "casusregie",
    "procesregie",
    "behandelregie",
    "operationeel_verantwoordelijk",
    "bestuurlijk_verantwoordelijk",
    "in_overleg_met",
]


def test_columns_are_the_four_phases_in_the_cards_colours() -> None:
    card = card_view(universeel())
    assert [c.id for c in card.columns] == ["fase1", "fase2", "fase3", "fase4"]
    assert [c.colour.name for c in card.columns] == ["groen", "oranje", "rood", "donkerrood"]
    assert [c.colour.fill for c in card.columns] == [
        PALETTE["groen"],
        PALETTE["oranje"],
        PALETTE["rood"],
        PALETTE["donkerrood"],
    ]
    assert card.columns[1].title == "Er zijn zorgen en er is hulp nodig"
    assert card.columns[3].situation.startswith("Totale escalatie.")


def test_rows_are_the_roles_and_kader_and_tracks_split_their_cells() -> None:
    card = card_view(universeel())
    assert [r.role for r in card.rows] == ROLE_ROWS
    casusregie = card.rows[0]
    labels = [[p.label for p in cell.parts] for cell in casusregie.cells]
    assert labels == [
        [""],
        ["Vrijwillig kader", "Gedwongen kader"],
        ["Vrijwillig kader", "Gedwongen kader"],
        ["Zorgcoördinatie (coördinator PSHi)"],
    ]
    fase4 = card.columns[3]
    assert fase4.parallel
    assert [s.title for s in fase4.substates] == [
        "Coördinatie op veiligheid (ambtenaar OOV)",
        "Zorgcoördinatie (coördinator PSHi)",
    ]
    gedwongen = casusregie.cells[1].parts[1].cell
    assert gedwongen.from_measures
    assert "gecertificeerde instelling" in gedwongen.text


@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_every_cell_and_step_cites_its_section_with_a_numbered_footnote(path: Path) -> None:
    card = card_view(load_policy(path))
    notes = [f.number for f in card.footnotes]
    assert notes == list(range(1, len(notes) + 1))
    cited = [p.cell.footnote for row in card.rows for cell in row.cells for p in cell.parts]
    cited += [c.footnote for c in card.columns] + [s.footnote for s in card.steps]
    assert sorted(f.number for f in cited) == notes
    for note in cited:
        assert note.section, note.label
        file, _, line = note.location.rpartition(":")
        assert file == path.name or file == UNIVERSEEL.name
        assert int(line) > 0


def test_every_cell_of_the_handreiking_card_is_filled() -> None:
    """§2.3: only procesregie in fase 1 is empty (n.v.t.); 'in overleg met' is not on the
    printed card and its fase-3 summary names no one."""
    for policy in (universeel(), west_brabant()):
        card = card_view(policy)
        empty = {
            (row.role, cell.phase) for row in card.rows for cell in row.cells if not cell.parts
        }
        assert empty == {("procesregie", "fase1"), ("in_overleg_met", "fase3")}
        for row in card.rows:
            for cell in row.cells:
                assert all(p.cell.text.strip() for p in cell.parts), (row.role, cell.phase)


def test_steps_carry_deciders_criteria_and_what_they_need() -> None:
    policy = universeel()
    card = card_view(policy)
    assert {s.id for s in card.steps} == set(policy.transitions)
    step = next(s for s in card.steps if s.id == "opschalen-2-3")
    assert step.kind_label == "Opschalen"
    assert step.target_title == "Fase 3 · Er is (ook) onveiligheid"
    assert step.needs_dominance
    assert len(step.criteria) == 13
    assert step.criteria[0].text.startswith("Bij toename van de hulpbehoefte")
    first, second = step.deciders
    assert [o.kind for o in first[0]] == ["role"]
    assert first[0][0].words == "houder van casusregie"
    assert "Veilig Thuis" in [o.name for o in first[1]]
    assert second[0][0].name == "Sociaal wijkteam / Toegang"
    back = next(s for s in card.steps if s.id == "afschalen-4-3")
    assert back.requires == ("Aanpak voor fase 3 gemaakt door het Veiligheidshuis",)
    within = next(s for s in card.steps if s.id == "opschalen-binnen-2")
    assert within.target_state is None
    assert within.assign == (("Procesregie", ("Gemeentelijk procesregisseur Sociaal Domein",)),)


def test_the_chart_part_is_the_compiled_chart() -> None:
    policy = universeel()
    compiled = compile_policy(policy)
    card = card_view(policy, compiled)

    def ids(states: Any, children: str) -> set[str]:
        """Every state id of a tree whose nodes keep their sub-states in ``children``."""
        return {s.id for s in states} | {
            i for s in states for i in ids(getattr(s, children), children)
        }

    assert ids(card.chart_states, "children") == ids(compiled.chart_class.states, "states")
    kinds = {s.id: s.kind for s in card.chart_states}
    assert kinds == {
        "fase1": "atomic",
        "fase2": "compound",
        "fase3": "compound",
        "fase4": "parallel",
        "afgesloten": "final",
    }
    events = {t.event for t in card.chart_transitions if t.rule}
    assert events == set(compiled.event_of.values())
    switches = [t for t in card.chart_transitions if t.condition]
    assert {(t.source, t.targets, t.condition) for t in switches} == {
        ("fase2_vrijwillig", ("fase2_gedwongen",), "measures:some"),
        ("fase2_gedwongen", ("fase2_vrijwillig",), "measures:none"),
        ("fase3_vrijwillig", ("fase3_gedwongen",), "measures:some"),
        ("fase3_gedwongen", ("fase3_vrijwillig",), "measures:none"),
    }


def test_a_local_card_marks_what_it_overrides_and_nothing_else() -> None:
    base = card_view(universeel())
    local = card_view(west_brabant())
    assert base.overrides == ()
    assert local.extends == ("universeel",)
    assert len(local.overrides) == len(west_brabant().overrides)
    marked = {
        (row.role, part.state)
        for row in local.rows
        for cell in row.cells
        for part in cell.parts
        if part.cell.overridden
    }
    assert marked == {("procesregie", "fase3"), ("casusregie", "fase4.zorg")}
    assert [s.id for s in local.steps if s.overridden] == ["opschalen-2-3"]
    assert not any(p.cell.overridden for row in base.rows for c in row.cells for p in c.parts)
    labels = {o.path: o for o in local.overrides}
    procesregie = labels["phases.fase3.roles.procesregie.text"]
    assert procesregie.label == "Fase 3 › Procesregie › text"
    assert procesregie.location.startswith("west-brabant.yaml:")


def test_colours_read_on_their_fill() -> None:
    assert colour("groen").ink == "#ffffff"
    assert colour("oranje").ink == "#1a1a1a"
    assert colour("#123456").fill == "#123456"
    assert colour("paars-met-stippen").fill == PALETTE["grijs"]
    assert colour("rood").tint != colour("rood").fill


def test_the_render_package_offers_every_name_and_loads_its_renderers_on_first_use() -> None:
    """``regiekaart.render`` names its renderers without importing them: the terminal
    table of ``show`` does not load the HTML templates, and each name still resolves."""
    code = (
        "import sys, regiekaart.render as r, regiekaart.render.cardview\n"
        "assert 'jinja2' not in sys.modules and 'regiekaart.render.html' not in sys.modules\n"
        "assert all(getattr(r, n) is not None for n in r.__all__)\n"
        "assert 'regiekaart.render.html' in sys.modules\n"
        "try:\n    r.nothing_of_that_name\nexcept AttributeError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = "module 'regiekaart.render' has no attribute 'nothing_of_that_name'"
    assert out.stdout.strip() == expected
