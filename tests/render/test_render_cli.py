"""``regiekaart render`` and ``render-timeline`` as a policy officer runs them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from render_support import SCENARIOS, WEST_BRABANT, west_brabant
from typer.testing import CliRunner

from regiekaart.cli import app
from regiekaart.render.browser import Chromium, png_texts
from regiekaart.render.formats import PNG_DIGEST_KEY, TEXT_FORMATS, render_card

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog for its process; give later tests theirs back."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.mark.parametrize("fmt", [f for f in TEXT_FORMATS if f != "svg"])
def test_each_format_written_is_what_the_library_renders(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"kaart.{fmt}"
    done = runner.invoke(app, ["render", str(WEST_BRABANT), "--format", fmt, "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") == render_card(west_brabant(), fmt)


def test_without_output_the_card_goes_to_stdout() -> None:
    done = runner.invoke(app, ["render", str(WEST_BRABANT), "-f", "md"])
    assert done.exit_code == 0
    assert done.stdout == render_card(west_brabant(), "md")


@pytest.mark.usefixtures("dot")
def test_svg_is_drawn_by_dot(tmp_path: Path) -> None:
    out = tmp_path / "kaart.svg"
    done = runner.invoke(app, ["render", str(WEST_BRABANT), "-f", "svg", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_svg_without_dot_says_which_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    done = runner.invoke(app, ["render", str(WEST_BRABANT), "-f", "svg"])
    assert done.exit_code == 3
    assert "Debian package `graphviz`" in done.stderr


def test_png_is_a_picture_of_the_html_it_records(browser: Chromium, tmp_path: Path) -> None:
    out = tmp_path / "kaart.png"
    done = runner.invoke(app, ["render", str(WEST_BRABANT), "-f", "png", "-o", str(out)])
    assert done.exit_code == 0, done.output
    picture = out.read_bytes()
    page = render_card(west_brabant(), "html")
    assert png_texts(picture)[PNG_DIGEST_KEY] == hashlib.sha256(page.encode()).hexdigest()


def test_bad_input_is_one_message_naming_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "kapot.yaml"
    bad.write_text("regiekaart: 1\nextends: bestaat-niet\nid: x\ntitle: X\n", encoding="utf-8")
    done = runner.invoke(app, ["render", str(bad)])
    assert done.exit_code == 2
    assert f"{bad}:2 extends" in done.stderr
    assert "Traceback" not in done.output
    unknown = runner.invoke(app, ["render", str(WEST_BRABANT), "-f", "pdf"])
    assert unknown.exit_code == 2
    assert "unknown format 'pdf'; use one of: html, md, svg, mermaid, dot, scxml, png" in (
        unknown.stderr
    )


def test_render_timeline_draws_a_scenario(tmp_path: Path) -> None:
    out = tmp_path / "tijdlijn.html"
    done = runner.invoke(app, ["render-timeline", str(SCENARIOS[0]), "-o", str(out)])
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'class="strip"' in page
    lost = runner.invoke(app, ["render-timeline"])
    assert lost.exit_code == 2
    assert "give a scenario file" in lost.stderr
