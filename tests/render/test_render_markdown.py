"""The Markdown card says what the HTML card says, in a table a wiki can show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from render_support import cards, universeel, west_brabant

from regiekaart import load_policy
from regiekaart.render.markdown import md_cell, render_markdown
from regiekaart.render.view import card_view


@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_the_card_is_one_table_of_phases_and_roles_with_its_footnotes(path: Path) -> None:
    card = card_view(load_policy(path))
    text = render_markdown(card)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    header, rule, situation, *roles = rows[: 3 + len(card.rows)]
    assert [c.strip() for c in header.strip("|").split(" | ")][1:] == [
        f"Fase {c.order} ({c.colour.name}): {c.title}" for c in card.columns
    ]
    assert rule == "| --- |" + " --- |" * len(card.columns)
    assert situation.startswith("| *Situatie* |")
    for line, row in zip(roles, card.rows, strict=True):
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        assert cells[0].strip() == f"**{row.title}**"
        assert len(cells) == 1 + len(card.columns), row.role
        for shown, cell in zip(cells[1:], row.cells, strict=True):
            assert (shown.strip() == "n.v.t.") == (not cell.parts)
            for part in cell.parts:
                assert f"[^{part.cell.footnote.number}]" in shown
                if part.label:
                    assert f"**{part.label}:**" in shown
    references = set(re.findall(r"\[\^(\d+)\](?!:)", text))
    definitions = set(re.findall(r"^\[\^(\d+)\]:", text, flags=re.MULTILINE))
    assert references == definitions == {str(f.number) for f in card.footnotes}
    for step in card.steps:
        assert f"### {step.title}" in text
        for criterion in step.criteria:
            assert criterion.text in text


def test_a_local_card_says_what_it_sets_itself() -> None:
    plain = render_markdown(card_view(universeel()))
    local = render_markdown(card_view(west_brabant()))
    assert "*(lokaal)*" not in plain
    assert local.count("*(lokaal)*") >= 3
    assert "## Lokale afspraken (afwijkend van universeel)" in local
    assert "## Bestaande werkafspraken, routes en richtlijnen" in local


def test_cell_text_cannot_break_the_table() -> None:
    assert md_cell("a | b\n  c") == "a \\| b c"
