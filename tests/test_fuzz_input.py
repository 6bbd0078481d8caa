"""Fuzzing the readers: whatever bytes arrive, the answer is a card, a scenario, commands
or a regiekaart error, never another exception, and it comes within a few seconds.

The inputs start from real files (the universal card, an example scenario, a command)
and are mutated byte by byte the way damaged or hostile files are: flipped bits,
inserted random bytes, truncations, NULs, deep brackets, repeated lines. Random bytes
are fed as well. The runs are derandomized, so a failure is the same on every machine.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from case_stories import MACHINES
from regiekaart import Policy, RegiekaartError, load_policy, parse_commands
from regiekaart.scenario import load_scenario, validate_scenario

CARD = (MACHINES / "universeel.yaml").read_bytes()
STORY = (MACHINES.parent / "examples" / "scenarios" / "calamiteit.yaml").read_bytes()
COMMAND = json.dumps(
    [
        {"type": "escalate", "actor": "wijkteam", "to": "fase2", "criteria": ["hulpbehoefte"]},
        {"type": "impose", "actor": "kinderrechter", "measure": "ots", "member": "kind"},
    ]
).encode()

BOUND = 5.0
"""Seconds any one call may take: a bound on termination, not a benchmark."""

FUZZ = settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with one to four damaging edits."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(
            st.sampled_from(["flip", "insert", "truncate", "nul", "brackets", "repeat", "cut"])
        )
        if edit == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "truncate":
            del data[at:]
        elif edit == "nul":
            data[at:at] = b"\x00"
        elif edit == "brackets":
            data[at:at] = draw(st.sampled_from([b"[", b"{", b"- "])) * draw(st.integers(10, 5000))
        elif edit == "repeat":
            end = data.find(b"\n", at)
            line = bytes(data[at : end + 1]) if end >= 0 else b"x: &a [*a]\n"
            data[at:at] = line * draw(st.integers(2, 50))
        elif edit == "cut":
            del data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


def settles(call: Callable[[], Any]) -> None:
    """``call`` returns or raises a regiekaart error, within :data:`BOUND` seconds."""
    began = time.monotonic()
    with contextlib.suppress(RegiekaartError):
        call()
    assert time.monotonic() - began < BOUND


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def universeel() -> Policy:
    return load_policy(MACHINES / "universeel.yaml")


def _written(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@settings(FUZZ, max_examples=60)
@given(data=mutated(CARD))
def test_a_mutated_card_loads_or_is_a_regiekaart_error(folder: Path, data: bytes) -> None:
    path = _written(folder, "kaart.yaml", data)
    settles(lambda: load_policy(path))


@settings(FUZZ, max_examples=60)
@given(data=mutated(STORY))
def test_a_mutated_scenario_loads_or_is_a_regiekaart_error(
    folder: Path, universeel: Policy, data: bytes
) -> None:
    path = _written(folder, "verhaal.yaml", data)
    settles(lambda: validate_scenario(path, universeel))


@settings(FUZZ, max_examples=200)
@given(data=mutated(COMMAND))
def test_mutated_commands_parse_or_are_a_regiekaart_error(data: bytes) -> None:
    settles(lambda: parse_commands(data))
    settles(lambda: parse_commands(data.decode("utf-8", "replace")))


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_never_a_crash(folder: Path, data: bytes) -> None:
    card = _written(folder, "ruis.yaml", data)
    settles(lambda: load_policy(card))
    settles(lambda: load_scenario(card))
    settles(lambda: parse_commands(data))


@settings(FUZZ, max_examples=100)
@given(text=st.text(alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"\n #ab1\t\\")), max_size=400))
def test_yaml_and_json_punctuation_is_never_a_crash(folder: Path, text: str) -> None:
    card = _written(folder, "leestekens.yaml", ("regiekaart: 1\n" + text).encode())
    settles(lambda: load_policy(card))
    story = _written(folder, "leestekens-verhaal.yaml", ("case: c\nsteps:\n" + text).encode())
    settles(lambda: load_scenario(story))
    settles(lambda: parse_commands(text))
