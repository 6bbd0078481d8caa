"""The embedded default store: one SQLite file, in WAL mode, through the stdlib.

WAL lets readers go on while one writer commits, and several processes on one machine
can share the file. Every write transaction starts with ``BEGIN IMMEDIATE`` so it holds
the write lock from its first read of the case's version: two writers never both read
version *n* and then race to write, and a busy database is waited for (``timeout``)
rather than failing. ``synchronous=FULL`` makes a commit durable before it returns, so
an accepted decision survives a crash of the process or of the machine.

The file holds personal data (member ids, reasons), so a new one is created readable
by its owner only (mode 0600), and so are its ``-wal`` and ``-shm`` files. A file
that already exists keeps the mode its host gave it: a host that shares it with a
group on purpose is not overruled. Times are stored as ISO 8601 text in UTC.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog

from regiekaart.errors import StoreError, UnstorableValue
from regiekaart.store._backend import Cursor
from regiekaart.store._boundary import (
    SURROGATE_REFUSED,
    CheckedCursor,
    IdChecks,
    json_text,
    time_in,
    time_out,
)
from regiekaart.store._sql import SQLStore
from regiekaart.terminal import printable

__all__ = [
    "MEMORY",
    "PRIVATE_MODE",
    "SQLiteStore",
]

_log = structlog.get_logger("regiekaart.store")


PRIVATE_MODE = 0o600
"""The mode of a new store file and of its ``-wal`` and ``-shm`` files."""

MEMORY = ":memory:"


@contextmanager
def _private_umask() -> Iterator[None]:
    """Files created meanwhile are the owner's only (the umask is per process, so a
    thread creating files at this moment gets the stricter mode too; never a looser one)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _create_private(path: str) -> None:
    """Create ``path`` as an empty file of mode 0600 unless it exists.

    sqlite3 would create it with 0644 less the umask: readable by every user of the
    machine. SQLite gives the ``-wal`` and ``-shm`` files the mode of the database.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(
            f"cannot open the SQLite store {printable(path)}: {exc.strerror}"
        ) from None
    os.close(fd)


class SQLiteStore(IdChecks, SQLStore):
    """A case store in a SQLite file (``":memory:"`` for a throw-away one).

    With ``create=False`` a file that is not there, or holds no store, is refused
    ("no store at PATH") and nothing is created: only a host that means to start a store
    should make one, not a mistyped path.
    """

    backend = "sqlite"

    def __init__(self, path: str | Path, *, timeout: float = 30.0, create: bool = True) -> None:
        self.path = str(path)
        try:
            self.path.encode("utf-8")
        except UnicodeEncodeError:  # an invalid byte from a command line
            raise StoreError(
                "the SQLite store path holds an invalid byte; name the file in UTF-8"
            ) from None
        self.url = f"sqlite:///{self.path}"
        with _private_umask():
            if self.path != MEMORY and create:
                _create_private(self.path)
            self._open(timeout, create=create)
        _log.debug("store.opened", backend=self.backend)

    def _connect(self, timeout: float, *, create: bool) -> sqlite3.Connection:
        if create or self.path == MEMORY:
            return sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        # mode=rw opens an existing file only: no check-then-create race with a typo.
        uri = f"file:{quote(os.path.abspath(self.path))}?mode=rw"
        try:
            return sqlite3.connect(uri, timeout=timeout, isolation_level=None, uri=True)
        except sqlite3.Error:
            if not os.path.lexists(self.path):
                raise StoreError(self._missing()) from None
            raise

    def _missing(self, why: str = "") -> str:
        return f"no store at {printable(self.path)}{why} (regiekaart case new makes one)"

    def _open(self, timeout: float, *, create: bool) -> None:
        try:
            self._db = self._connect(timeout, create=create)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the SQLite store {printable(self.path)}: {exc}"
            ) from None
        try:
            if self._check_schema() == 0 and not create and self.path != MEMORY:
                raise StoreError(self._missing(": the file holds no store tables"))
            self._enter_wal(timeout)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot use {printable(self.path)} as a store: {exc}") from None
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore({self.url!r})"

    def _enter_wal(self, timeout: float) -> None:
        """Switch the file to WAL, waiting for the other processes that open it.

        The switch needs the database to itself, and SQLite answers "database is locked"
        at once rather than through the busy timeout: several processes opening a new
        file together retry here, with a growing pause, until ``timeout``.
        """
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    @contextmanager
    def _cursor(self, *, write: bool) -> Iterator[Cursor]:
        cursor = self._db.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield CheckedCursor(cursor)
            self._db.commit()
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"SQLite store {printable(self.path)}: {exc}") from exc
        except UnicodeEncodeError:
            self._rollback()
            raise UnstorableValue(SURROGATE_REFUSED) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            cursor.close()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.rollback()

    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        return self._cursor(write=write)

    def _table_exists(self, cursor: Cursor, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

    def _migration_lock(self, cursor: Cursor) -> None:
        """``BEGIN IMMEDIATE`` already holds the database's only write lock."""

    def _is_duplicate(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def _json_in(self, value: Any) -> Any:
        return json_text(value)

    def _json_out(self, value: Any) -> Any:
        if not isinstance(value, str | bytes):
            raise ValueError(f"expected JSON text, found {type(value).__name__}")
        return json.loads(value)

    def _time_in(self, value: datetime) -> Any:
        return time_in(value).isoformat()

    def _time_out(self, value: Any) -> datetime:
        return time_out(datetime.fromisoformat(str(value)))

    def close(self) -> None:
        """Close the file; committed data is already on disk."""
        self._db.close()
