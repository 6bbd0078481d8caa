"""A case's timeline, from a played story, from a case's events, and from a store.

Looked at in a real Chromium: the page loads without console errors, shows one row per
step with refused steps marked, one lane per role, and the phases over time in the
card's colours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from render_support import SCENARIOS, UNIVERSEEL, universeel
from typer.testing import CliRunner

from regiekaart import Case
from regiekaart.cli import app
from regiekaart.render.browser import Chromium
from regiekaart.render.palette import colour
from regiekaart.render.timeline import (
    render_timeline,
    timeline_from_events,
    timeline_from_scenario,
)
from regiekaart.scenario import ScenarioResult, load_scenario, play
from regiekaart.store import open_store

TIMELINE_FACTS = """(() => {
  const q = s => [...document.querySelectorAll(s)];
  return {
    rows: q('tr.entry').map(tr => ({
      refused: tr.classList.contains('refused'), step: tr.dataset.step,
      title: tr.querySelector('.step-title').innerText.trim(),
      lanes: [...tr.querySelectorAll('td.lane')].map(td => td.dataset.role)})),
    lanes: q('thead th.lane').map(th => th.innerText.trim()),
    spans: q('.strip .span').map(s => ({phase: s.dataset.phase,
      background: getComputedStyle(s).backgroundColor, width: s.getBoundingClientRect().width})),
    fetched: performance.getEntriesByType('resource').length,
  };
})()"""


def rgb(value: str) -> str:
    r, g, b = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def look(browser: Chromium, tmp_path: Path, html: str) -> Any:
    page = tmp_path / "timeline.html"
    page.write_text(html, encoding="utf-8")
    report = browser.load(page)
    assert report.console_errors == ()
    return browser.evaluate(TIMELINE_FACTS)


def story(path: Path) -> ScenarioResult:
    return play(load_scenario(path))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_played_story_shows_every_step_refusals_marked_roles_as_lanes(
    browser: Chromium, tmp_path: Path, path: Path
) -> None:
    result = story(path)
    facts = look(browser, tmp_path, render_timeline(timeline_from_scenario(result)))
    steps = (result.opening, *result.steps)
    assert [r["step"] for r in facts["rows"]] == [str(s.index) for s in steps]
    assert [r["refused"] for r in facts["rows"]] == [not s.accepted for s in steps]
    assert facts["lanes"] == [r.title for r in result.policy.roles.values()]
    assert all(r["lanes"] == list(result.policy.roles) for r in facts["rows"])
    phases = [s.phase for s in steps if s.accepted]
    visited = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]
    assert [s["phase"] for s in facts["spans"]] == visited
    for span in facts["spans"]:
        assert span["background"] == rgb(colour(result.policy.states[span["phase"]].colour).fill)
        assert span["width"] > 40
    assert facts["fetched"] == 0
    (tmp_path / "timeline.png").write_bytes(browser.screenshot(full_page=True))


def test_a_refusal_names_its_rule_and_changes_no_lane() -> None:
    result = story(next(p for p in SCENARIOS if p.stem == "dominantie-huiselijk-geweld"))
    timeline = timeline_from_scenario(result)
    refused = [e for e in timeline.entries if e.refused]
    assert timeline.refusals == len(refused) == 2
    assert refused[0].refusal.startswith("NotAuthorized: ")
    assert refused[0].rule == "opschalen-2-3"
    assert not any(h.changed for e in refused for h in e.holdings)
    taken = next(e for e in timeline.entries if e.rule == "opschalen-2-3" and not e.refused)
    assert taken.together == ("Veilig Thuis",)
    assert "Kindermishandeling of huiselijk geweld" in taken.criteria[0]
    assert taken.reason
    changed = {h.role: h.holders for h in taken.holdings if h.changed}
    assert changed["procesregie"] == ("Veilig Thuis",)


def test_a_cases_events_give_the_same_story_without_the_refusals() -> None:
    result = story(next(p for p in SCENARIOS if p.stem == "dominantie-huiselijk-geweld"))
    events = [s.event for s in (result.opening, *result.steps) if s.event is not None]
    case = Case.replay(result.policy, "dominantie-huiselijk-geweld", events)
    timeline = timeline_from_events(result.policy, case.case_id, case.events)
    from_story = timeline_from_scenario(result)
    assert [e.title for e in timeline.entries] == [
        e.title for e in from_story.entries if not e.refused
    ]
    last = timeline.entries[-1]
    names = {h.role: h.holders for h in last.holdings if h.holders}
    assert names == {
        role: tuple(result.policy.parties[p].name for p in holders)
        for role, holders in case.roles.items()
    }
    assert [s.phase for s in timeline.spans] == [s.phase for s in from_story.spans]


def test_a_stored_case_is_drawn_from_the_store(tmp_path: Path) -> None:
    result = story(next(p for p in SCENARIOS if p.stem == "ots-fase2"))
    events = [s.event for s in (result.opening, *result.steps) if s.event is not None]
    case = Case.replay(universeel(), "ots-fase2", events)
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    store = open_store(url)
    try:
        store.create(case)
    finally:
        store.close()
    out = tmp_path / "tijdlijn.html"
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "render-timeline",
            "--db",
            url,
            "--case",
            "ots-fase2",
            "--policy",
            str(UNIVERSEEL),
            "-o",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert page.count('<tr class="entry') == len(events)
    assert "Tijdlijn van casus ots-fase2" in page
    missing = runner.invoke(
        app,
        ["render-timeline", "--db", url, "--case", "bestaat-niet", "--policy", str(UNIVERSEEL)],
    )
    assert missing.exit_code == 2
    assert "bestaat-niet" in missing.stderr
    earlier = runner.invoke(
        app,
        ["render-timeline", "--store", url, "--case", "ots-fase2", "--policy", str(UNIVERSEEL)],
    )
    assert earlier.exit_code == 0, earlier.output
    assert "--store is deprecated; use --db" in earlier.stderr
    assert earlier.stdout.count('<tr class="entry') == len(events)
