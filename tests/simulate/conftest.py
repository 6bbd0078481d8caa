"""Shared pieces of the simulation tests: quiet logs, the shipped scenario, scenario files."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "simulations" / "west-brabant.yaml"
VARIANT = ROOT / "examples" / "policy-changes" / "west-brabant-wijkteam-afschalen.yaml"
MACHINES = ROOT / "machines"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """The runtime logs every command; a simulation applies thousands."""
    before = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield
    structlog.configure(**before)


def write_scenario(directory: Path, data: dict[str, Any], name: str = "scenario.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


@pytest.fixture
def shipped() -> dict[str, Any]:
    """The shipped scenario as data, with its policy path made absolute."""
    data: dict[str, Any] = yaml.safe_load(SCENARIO.read_text("utf-8"))
    data["policy"] = str(MACHINES / "west-brabant.yaml")
    return data


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def make(data: dict[str, Any]) -> Path:
        return write_scenario(tmp_path, data)

    return make
