"""Shared helpers of the rendering tests: the shipped cards and the skip-or-fail rule.

Pages are checked in a real headless Chromium and diagrams drawn by Graphviz's real
``dot``. Without them the tests that need them skip on a developer's machine, saying
which Debian package to install, and fail in CI (``CI=true``), so CI can never pass by
skipping them.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from regiekaart import Policy, load_policy

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ROOT / "machines"
UNIVERSEEL = MACHINES / "universeel.yaml"
WEST_BRABANT = MACHINES / "west-brabant.yaml"
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
DOCS = ROOT / "docs"


def missing(what: str) -> None:
    """Skip locally, fail in CI: a check that needs ``what`` must not silently pass."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: required)")
    pytest.skip(what)


@cache
def universeel() -> Policy:
    """The universal card, loaded once per process."""
    return load_policy(UNIVERSEEL)


@cache
def west_brabant() -> Policy:
    """West-Brabant's card, loaded once per process."""
    return load_policy(WEST_BRABANT)


def cards() -> list[Path]:
    """Every card the project ships."""
    return sorted(MACHINES.glob("*.yaml"))
