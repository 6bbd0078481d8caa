"""Only a host that means to start a store makes one: ``create=False`` refuses the rest.

A mistyped path must not open an empty store, list no cases and pass an audit of
nothing: with ``create=False`` a SQLite file that is not there (or holds no store) and a
PostgreSQL database without the store's tables are refused, and nothing is created.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regiekaart import StoreError
from regiekaart.store import SQLiteStore, open_store
from store_support import Backend, new_case, quiet_logs


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    for make in (
        lambda: SQLiteStore(path, create=False),
        lambda: open_store(f"sqlite:///{path}", create=False),
    ):
        with pytest.raises(StoreError, match=r"no store at .*typo\.db"):
            make()
        assert os.listdir(tmp_path) == []


def test_a_sqlite_file_without_a_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(StoreError, match=r"no store at .*empty\.db: the file holds no store"):
        SQLiteStore(path, create=False)
    assert path.read_bytes() == b""


def test_a_relative_path_with_uri_characters_is_opened_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "cases ?#%20.db"
    with SQLiteStore(name) as store:
        store.create(new_case("gezin-1"))
    with SQLiteStore(name, create=False) as store:
        assert [info.case_id for info in store.cases()] == ["gezin-1"]
    assert sorted(os.listdir(tmp_path))[0] == name


def test_a_store_that_exists_opens_without_create(db: Backend) -> None:
    with open_store(db.url) as store:
        store.create(new_case("gezin-1"))
    with open_store(db.url, create=False) as store:
        assert [info.case_id for info in store.cases()] == ["gezin-1"]


def test_a_database_without_the_store_tables_is_refused(db: Backend) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(db.url, create=False)
    with open_store(db.url) as store:  # still nothing there: the default creates it
        assert store.cases() == []
