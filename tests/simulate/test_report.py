"""The HTML report opens offline in a real headless Chromium, without errors, with its plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SCENARIO, VARIANT
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.report import render_report
from regiekaart.simulate.run import compare, simulate

pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_the_report_loads_and_shows_every_plot(tmp_path: Path) -> None:
    from regiekaart.render.browser import BrowserError, Chromium

    base = simulate(load_population(SCENARIO), households=3000, weeks=16, replications=2)
    other = simulate(
        load_population(SCENARIO, policy=VARIANT), households=3000, weeks=16, replications=2
    )
    page = render_report(
        base, tmp_path / "report.html", other=other, difference=compare(base, other)
    )
    text = page.read_text("utf-8")
    assert "<script" not in text
    assert 'src="http' not in text
    assert 'href="http' not in text  # nothing to fetch: the page opens offline
    assert "#2f7d32" in text  # groen, from the card
    assert "#7a0f17" in text  # donkerrood
    try:
        browser = Chromium()
    except BrowserError as exc:  # pragma: no cover - chromium is installed by .ci/run
        pytest.skip(str(exc))
    with browser:
        report = browser.load(page)
        assert report.console_errors == ()
        plots = browser.evaluate(
            "[...document.querySelectorAll('section.plot svg')]"
            ".map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        titles = browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert len(plots) == 6
    assert all(width > 300 for width, _ in plots)
    assert all(height > 150 for _, height in plots)
    assert "Comparison" in titles
    assert "Households per phase" in titles
