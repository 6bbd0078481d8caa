"""Shared fixtures: the shipped cards and the deliberately broken ones under tests/policies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from case_stories import MACHINES, POLICIES
from regiekaart import Policy, load_policy
from store_support import BACKENDS, Backend, backend


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Every test leaves structlog as it found it: a test that quiets the log (or runs
    the command line in this process) must not hide the events a later test captures,
    so no test's outcome depends on the order the suite runs in."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def universeel() -> Policy:
    """The universal regiekaart of §2.3 and Bijlage 2."""
    return load_policy(MACHINES / "universeel.yaml")


@pytest.fixture(scope="session")
def west_brabant() -> Policy:
    """The West-Brabant card: the universal card with West-Brabant's own agreements."""
    return load_policy(MACHINES / "west-brabant.yaml")


@pytest.fixture(scope="session")
def test_policy() -> Callable[[str], Policy]:
    """Load ``tests/policies/<name>.yaml``."""

    def load(name: str) -> Policy:
        return load_policy(POLICIES / f"{name}.yaml")

    return load


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty database of each backend (PostgreSQL as in ``store_support``)."""
    with backend(request.param, tmp_path) as database:
        yield database
