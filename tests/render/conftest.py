"""Fixtures of the rendering tests: one real Chromium per session, Graphviz's dot."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator

import pytest
import structlog
from render_support import missing

from regiekaart.render.browser import BrowserNotFoundError, Chromium, find_chromium


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Scenario runs log every command; keep the test output to warnings."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def browser() -> Iterator[Chromium]:
    """One headless Chromium for the whole session (each test loads its own page)."""
    try:
        find_chromium()
    except BrowserNotFoundError as exc:
        missing(str(exc))
    try:
        import websocket  # noqa: F401
    except ImportError:
        missing("the websocket-client package is not installed (pip install -e '.[dev]')")
    with Chromium(width=1600, height=1000) as chromium:
        yield chromium


@pytest.fixture
def dot() -> str:
    """Graphviz's ``dot``, or a skip (a failure in CI) naming the Debian package."""
    found = shutil.which("dot")
    if found is None:
        missing("Graphviz's dot is not on PATH: install the Debian package graphviz")
    assert found is not None
    return found
