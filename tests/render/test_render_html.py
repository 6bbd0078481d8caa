"""The HTML card, looked at as a person does: in a real headless Chromium.

The page must load with no console errors, fetch nothing, show the four coloured phase
columns and the six role rows of §2.3, split the kader and the fase-4 tracks, list
every step with its deciders and criteria, give every cell's section on hover and as a
footnote, mark a local card's own agreements — and, printed, put the card on one A4
landscape page.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from render_support import cards, universeel, west_brabant

from regiekaart import Policy, load_policy
from regiekaart.render.browser import Chromium
from regiekaart.render.html import render_html
from regiekaart.render.view import card_view

ROLE_TITLES = [
    "Casusregie",
    "Procesregie",
    "Behandelregie",
    "Operationeel verantwoordelijk",
    "Bestuurlijk verantwoordelijk",
    "In overleg met",
]

A4_LANDSCAPE_PX = (1054, 722)
"""The printable area of A4 landscape with the page's 9 mm margins, in CSS pixels."""

DOM_FACTS = """(() => {
  const rgb = el => getComputedStyle(el).backgroundColor;
  const q = s => [...document.querySelectorAll(s)];
  return {
    phases: q('th.phase').map(th => ({
      id: th.dataset.phase, text: th.innerText, background: rgb(th),
      visible: th.getBoundingClientRect().width > 100})),
    roles: q('table.card tbody tr').map(tr => ({
      role: tr.dataset.role, title: tr.querySelector('th').innerText.trim(),
      cells: [...tr.querySelectorAll('td')].map(td => ({
        phase: td.dataset.phase, empty: td.classList.contains('empty'),
        labels: [...td.querySelectorAll('.part-label')].map(l => l.innerText.trim()),
        hovers: [...td.querySelectorAll('.part')].map(p => p.title),
        notes: [...td.querySelectorAll('sup.fn a')].map(a => a.getAttribute('href')),
        local: td.querySelectorAll('.part.local').length}))})),
    tracks: q('td.situation[data-phase="fase4"] .chip').map(c => c.innerText.trim()),
    steps: q('article.step').map(a => ({
      id: a.dataset.step, deciders: a.querySelector('.deciders').innerText.trim(),
      criteria: new Set([...a.querySelectorAll('ul.criteria li:not(.criteria-group)')]
        .map(li => li.textContent)).size})),
    footnotes: q('ol.footnotes li').map(li => li.id),
    fetched: q('[src], link[href]').length + performance.getEntriesByType('resource').length,
  };
})()"""


def open_page(browser: Chromium, tmp_path: Path, html: str, *, media: str = "screen") -> Any:
    page = tmp_path / "card.html"
    page.write_text(html, encoding="utf-8")
    report = browser.load(page, media=media)
    assert report.console_errors == ()
    return browser.evaluate(DOM_FACTS)


def hex_rgb(value: str) -> str:
    r, g, b = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def check_card(facts: Any, policy: Policy) -> None:
    card = card_view(policy)
    assert [p["id"] for p in facts["phases"]] == ["fase1", "fase2", "fase3", "fase4"]
    for phase, column in zip(facts["phases"], card.columns, strict=True):
        assert phase["visible"]
        assert phase["background"] == hex_rgb(column.colour.fill)
        assert f"Fase {column.order}".upper() in phase["text"].upper()
        assert column.title in phase["text"]
    assert [r["title"] for r in facts["roles"]] == ROLE_TITLES
    for row in facts["roles"]:
        assert [c["phase"] for c in row["cells"]] == ["fase1", "fase2", "fase3", "fase4"]
        for cell in row["cells"]:
            assert all(
                h.startswith("Bron: §") or h.startswith("Bron: Bijlage") for h in cell["hovers"]
            )
            assert len(cell["notes"]) == len(cell["hovers"])
    casusregie = facts["roles"][0]["cells"]
    assert casusregie[1]["labels"] == ["Vrijwillig kader", "Gedwongen kader"]
    assert casusregie[2]["labels"] == ["Vrijwillig kader", "Gedwongen kader"]
    assert casusregie[3]["labels"] == ["Zorgcoördinatie (coördinator PSHi)"]
    assert facts["tracks"] == [s.title for s in card.columns[3].substates]
    assert [s["id"] for s in facts["steps"]] == [s.id for s in card.steps]
    for shown, step in zip(facts["steps"], card.steps, strict=True):
        assert shown["criteria"] == len(step.criteria)
        assert shown["deciders"]
        assert shown["deciders"] != "niemand"
    assert facts["footnotes"] == [f"bron-{n.number}" for n in card.footnotes]
    targets = {n for row in facts["roles"] for c in row["cells"] for n in c["notes"]}
    assert targets <= {f"#{i}" for i in facts["footnotes"]}
    assert facts["fetched"] == 0


@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_each_card_loads_without_errors_and_shows_columns_rows_and_steps(
    browser: Chromium, tmp_path: Path, path: Path
) -> None:
    policy = load_policy(path)
    facts = open_page(browser, tmp_path, render_html(card_view(policy)))
    check_card(facts, policy)
    shot = browser.screenshot(selector="main > table")
    width, height = struct.unpack(">II", shot[16:24])
    assert shot.startswith(b"\x89PNG")
    assert width > 1200
    assert height > 600
    (tmp_path / "card.png").write_bytes(shot)


def test_a_local_card_marks_its_own_cells(browser: Chromium, tmp_path: Path) -> None:
    facts = open_page(browser, tmp_path, render_html(card_view(west_brabant())))
    local = {
        (row["role"], cell["phase"])
        for row in facts["roles"]
        for cell in row["cells"]
        if cell["local"]
    }
    assert local == {("procesregie", "fase3"), ("casusregie", "fase4")}
    overrides = browser.evaluate("document.querySelectorAll('#afwijkingen li').length")
    assert overrides == len(west_brabant().overrides)
    plain = open_page(browser, tmp_path, render_html(card_view(universeel())))
    assert not any(c["local"] for row in plain["roles"] for c in row["cells"])
    assert browser.evaluate("document.querySelector('#afwijkingen')") is None


@pytest.mark.parametrize("path", cards(), ids=lambda p: p.stem)
def test_printed_the_card_fits_one_a4_landscape_page(
    browser: Chromium, tmp_path: Path, path: Path
) -> None:
    width, height = A4_LANDSCAPE_PX
    html = render_html(card_view(load_policy(path)))
    assert "@page { size: A4 landscape" in html
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        open_page(browser, tmp_path, html, media="print")
        bottom = browser.evaluate(
            "document.querySelector('p.legend').getBoundingClientRect().bottom + scrollY"
        )
        widest = browser.evaluate("document.documentElement.scrollWidth")
    finally:
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": browser.width,
                "height": browser.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
    assert widest <= width
    assert bottom <= height, f"the card needs {bottom}px of the page's {height}px"


def test_the_page_is_the_same_for_the_same_card() -> None:
    first = render_html(card_view(universeel()))
    again = render_html(card_view(load_policy(Path(universeel().sources["id"].rpartition(":")[0]))))
    assert first == again
    assert "<script" not in first
