"""Versions of the card format: an older card is read as the card it was.

Version-1 cards (the examples, a store's cards from before version 2) load through the
rewrite to the current version; their digest stays the digest of what was written; a
card that says it is written in the current version may not use an older spelling; an
unknown version is refused with file and line.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from case_stories import MACHINES, POLICIES
from regiekaart import PolicyError, PolicyErrors, load_policy, load_policy_document, policy_schema
from regiekaart.policy import _formats
from regiekaart.policy._formats import CURRENT, READABLE, Respelling, moved
from regiekaart.policy.sourcemap import KeyPath, Located


def _copy_with_version(tmp_path: Path, version: str, *, untimed: bool = False) -> Path:
    """The universal card with its version line changed, next to a copy of nothing else;
    ``untimed``: without its time limits, which version 1 does not have."""
    text = (MACHINES / "universeel.yaml").read_text("utf-8")
    assert "\nregiekaart: 2\n" in text
    if untimed:
        text, found = re.subn(r"\n      duration:\n(?: {8}.*\n)+", "\n", text)
        assert found
    card = tmp_path / f"universeel-{version}.yaml" if untimed else tmp_path / "universeel.yaml"
    card.write_text(text.replace("\nregiekaart: 2\n", f"\nregiekaart: {version}\n"), "utf-8")
    return card


def test_the_engine_reads_version_1_and_describes_version_2() -> None:
    assert (READABLE, CURRENT) == ((1, 2), 2)
    assert policy_schema()["properties"]["regiekaart"]["const"] == 2


def test_a_version_1_card_is_the_same_policy_with_the_digest_of_what_was_written(
    tmp_path: Path,
) -> None:
    current = load_policy(_copy_with_version(tmp_path, "2", untimed=True))
    older = load_policy(_copy_with_version(tmp_path, "1", untimed=True))
    assert older.digest != current.digest
    assert '"regiekaart":1' in older.document
    same = attrs.evolve(
        older, digest=current.digest, document=current.document, sources=current.sources
    )
    assert same == current
    assert older.sources.keys() == current.sources.keys()


def test_a_stored_version_1_card_is_read_back_under_its_own_digest(tmp_path: Path) -> None:
    older = load_policy(_copy_with_version(tmp_path, "1", untimed=True))
    import json

    again = load_policy_document(json.loads(older.document), name="stored card")
    assert again.digest == older.digest
    assert attrs.evolve(again, sources=older.sources) == older


def test_the_shipped_examples_of_version_1_load() -> None:
    """Every version-1 card the project ships outside machines/ loads through the rewrite."""
    root = MACHINES.parent / "examples"
    cards = [p for p in root.rglob("*.yaml") if p.read_text("utf-8").count("\nregiekaart: 1")]
    cards += [p for p in root.rglob("*.yaml") if p.read_text("utf-8").startswith("regiekaart: 1")]
    assert cards, "no version-1 example card found"
    for card in cards:
        assert load_policy(card).id


@pytest.mark.parametrize("version", ["3", "0", "'2'", "true", "null", "[2]"])
def test_an_unknown_version_is_refused_with_its_line(tmp_path: Path, version: str) -> None:
    card = _copy_with_version(tmp_path, version)
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    error = raised.value
    assert "unknown format version" in str(error)
    assert "this engine reads regiekaart: 1, 2" in str(error)
    assert (error.file, error.path) == (str(card), "regiekaart")
    expected = 1 + (MACHINES / "universeel.yaml").read_text("utf-8").split("\n").index(
        "regiekaart: 2"
    )
    assert error.line == expected


def _old_ids(document: dict[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    for pid in document.get("parties") or {}:
        if pid.startswith("oud-"):
            yield ("parties", pid), f"write {pid[4:]!r}"


def _rewrite_old_ids(document: dict[str, Any], located: Located) -> None:
    parties = document.get("parties") or {}
    for pid in [p for p in parties if p.startswith("oud-")]:
        parties[pid[4:]] = parties.pop(pid)
        moved(located, ("parties", pid), ("parties", pid[4:]))


@pytest.fixture
def respelt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A made-up spelling of version 1 (a party id prefixed ``oud-``), to try the
    mechanism every real respelling goes through."""
    monkeypatch.setattr(
        _formats, "RESPELLINGS", (Respelling(until=1, find=_old_ids, rewrite=_rewrite_old_ids),)
    )


def _card_with_party(folder: Path, version: int, party: str) -> Path:
    text = (
        f"regiekaart: {version}\nextends: universeel.yaml\nid: lokaal\ntitle: Lokaal\n"
        f"parties:\n  {party}:\n    name: Buurtteam\n    kind: professional\n"
    )
    card = folder / "lokaal.yaml"
    card.write_text(text, "utf-8")
    return card


@pytest.mark.usefixtures("respelt")
def test_an_older_spelling_is_rewritten_in_an_older_card(tmp_path: Path) -> None:
    shutil.copy(MACHINES / "universeel.yaml", tmp_path / "universeel.yaml")
    policy = load_policy(_card_with_party(tmp_path, 1, "oud-buurtteam"))
    assert "buurtteam" in policy.parties
    assert "oud-buurtteam" not in policy.parties
    assert '"oud-buurtteam"' in policy.document


@pytest.mark.usefixtures("respelt")
def test_an_older_spelling_in_a_current_card_is_refused_with_its_line(tmp_path: Path) -> None:
    shutil.copy(MACHINES / "universeel.yaml", tmp_path / "universeel.yaml")
    card = _card_with_party(tmp_path, 2, "oud-buurtteam")
    with pytest.raises(PolicyError) as raised:
        load_policy(card)
    error = raised.value
    assert not isinstance(error, PolicyErrors)
    assert "written as in version 1 of the format, but the card says regiekaart: 2" in str(error)
    assert "write 'buurtteam'" in str(error)
    assert (error.file, error.line, error.path) == (str(card), 6, "parties.oud-buurtteam")


@pytest.mark.usefixtures("respelt")
def test_a_current_card_may_extend_an_older_one(tmp_path: Path) -> None:
    """Each file keeps its own promise: an older parent's spelling is rewritten although
    the child that extends it is current."""
    parent = _card_with_party(tmp_path, 1, "oud-buurtteam")
    shutil.copy(MACHINES / "universeel.yaml", tmp_path / "universeel.yaml")
    child = tmp_path / "kind.yaml"
    child.write_text(
        "regiekaart: 2\nextends: lokaal.yaml\nid: kind\ntitle: Kind\n", encoding="utf-8"
    )
    assert parent.exists()
    policy = load_policy(child)
    assert "buurtteam" in policy.parties
    assert load_policy_document(_parsed(policy.document), name="stored").digest == policy.digest


def _parsed(text: str) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(text)
    return data


def test_the_test_cards_still_say_version_1() -> None:
    """The broken cards under tests/policies stay version 1 on purpose: they are read
    through the rewrite every time the suite runs."""
    versions = {
        p.name: p.read_text("utf-8").split("regiekaart: ", 1)[1][:1]
        for p in POLICIES.glob("*.yaml")
        if "regiekaart: " in p.read_text("utf-8")
    }
    assert set(versions.values()) == {"1"}
