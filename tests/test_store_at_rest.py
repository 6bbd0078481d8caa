"""A SQLite store holds personal data: its files are the owner's to read, and no one else's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from regiekaart import Escalate
from regiekaart.store import SQLiteStore, open_store
from store_support import new_case, policy, quiet_logs


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The umask most hosts run with, which lets every user read a new file."""
    quiet_logs()
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_wal_and_shm_files_are_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    with open_store(f"sqlite:///{path}") as store:
        store.create(new_case("gezin-7"))
        store.send(
            policy(), "gezin-7", Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
        )
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert [oct(mode(f)) for f in files] == [oct(0o600)] * 3


def test_opening_the_store_leaves_the_process_umask_as_it_was(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "cases.db"):
        pass
    assert os.umask(0o022) == 0o022


def test_an_existing_file_keeps_the_mode_its_host_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with SQLiteStore(path):
        pass
    path.chmod(0o640)
    with SQLiteStore(path) as store:
        store.create(new_case("gezin-7"))
    assert mode(path) == 0o640


def test_a_throwaway_store_creates_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///:memory:") as store:
        store.create(new_case("gezin-7"))
    assert list(tmp_path.iterdir()) == []
