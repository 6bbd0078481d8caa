"""The embedded default store: one SQLite file, in WAL mode, through the stdlib.

WAL lets readers go on while one writer commits, and several processes on one machine
can share the file. Every write transaction starts with ``BEGIN IMMEDIATE`` so it holds
the write lock from its first read of the case's version: two writers never both read
version *n* and then race to write, and a busy database is waited for (``timeout``)
rather than failing. ``synchronous=FULL`` makes a commit durable before it returns, so
an accepted decision survives a crash of the process or of the machine.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from ..errors import StoreError
from ._sql import Cursor, SQLStore

_log = structlog.get_logger("regiekaart.store")


class SQLiteStore(SQLStore):
    """A case store in a SQLite file (``":memory:"`` for a throw-away one)."""

    backend = "sqlite"

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from None
        try:
            self._check_schema()
            self._enter_wal(timeout)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot use {self.path} as a store: {exc}") from None
        except BaseException:
            self._db.close()
            raise
        _log.debug("store.opened", backend=self.backend)

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
            yield cursor
            self._db.commit()
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
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
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def _json_out(self, value: Any) -> Any:
        if not isinstance(value, str | bytes):
            raise ValueError(f"expected JSON text, found {type(value).__name__}")
        return json.loads(value)

    def _time_in(self, value: datetime) -> Any:
        return value.isoformat()

    def _time_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(str(value))

    def close(self) -> None:
        """Close the file; committed data is already on disk."""
        self._db.close()
