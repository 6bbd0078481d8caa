"""The terminal tables of ``show`` and ``run`` at 80 and at 200 columns.

At 80 columns (a default terminal, a CI log) the card and the steps are stacked, one
phase or step at a time, and no word is cut; at 200 the card is the one table of §2.3
and the steps one table. Either way no line is wider than the terminal.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from render_support import ROOT, cards
from rich.console import Console

from regiekaart import load_policy
from regiekaart.render.cardview import card_view
from regiekaart.render.scenarioview import scenario_view
from regiekaart.scenario.play import play
from regiekaart.scenario.reader import validate_scenario

WIDTHS = (80, 200)
STORIES = sorted(ROOT.glob("examples/scenarios/**/*.yaml"))


def drawn(renderable: object, width: int) -> str:
    """What a terminal of ``width`` columns shows, without colour."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(renderable)
    return out.getvalue()


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\s│┃┆|]+", text))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("card", cards(), ids=lambda p: p.stem)
def test_the_card_cuts_no_word_and_no_role_at_any_width(card: Path, width: int) -> None:
    policy = load_policy(card)
    text = drawn(card_view(policy), width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    words = _words(text)
    for role in policy.roles.values():
        assert set(role.title.split()) <= words, role.title


def test_at_80_columns_the_card_is_stacked_phase_by_phase() -> None:
    policy = load_policy(ROOT / "machines" / "west-brabant.yaml")
    lines = drawn(card_view(policy), 80).splitlines()
    headings = [line.strip() for line in lines if re.match(r"\d\. ", line)]
    assert [h.split(" · ")[0][:2] for h in headings] == ["1.", "2.", "3.", "4."]
    assert any(line.startswith("Opschalen naar fase 2 · opschalen-1-2") for line in lines)


def test_at_200_columns_the_card_is_one_table_with_the_phases_across() -> None:
    policy = load_policy(ROOT / "machines" / "west-brabant.yaml")
    lines = drawn(card_view(policy), 200).splitlines()
    header = next(line for line in lines if "1. Het gewone leven" in line)
    assert all(f"{n}. " in header for n in (2, 3, 4))
    heads = next(line for line in lines if "Decided by" in line)
    assert all(word in heads for word in ("From → to", "Criteria", "Requires", "Source"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("story", STORIES, ids=lambda p: p.stem)
def test_a_played_story_cuts_no_word_at_any_width(story: Path, width: int) -> None:
    scenario, policy = validate_scenario(story)
    text = drawn(scenario_view(play(scenario, policy)), width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for label in ("Command", "Outcome", "Configuration", "Expected"):
        assert label in text
    for step in scenario.steps:
        assert set(step.command.actor.split("-")) <= set(re.findall(r"[\w]+", text))


def test_at_80_columns_each_step_is_its_own_table_and_at_200_one_table() -> None:
    story = ROOT / "examples" / "scenarios" / "west-brabant" / "calamiteit.yaml"
    scenario, policy = validate_scenario(story)
    result = play(scenario, policy)
    narrow = drawn(scenario_view(result), 80)
    assert narrow.count("Configuration") == len(scenario.steps) + 1
    assert re.search(r"^step 1 · line \d+", narrow, re.M)
    wide = drawn(scenario_view(result), 200)
    assert wide.count("Configuration") == 1
    header = next(line for line in wide.splitlines() if "Configuration" in line)
    assert all(word in header for word in ("Command", "Outcome", "Role holders", "Expected"))
