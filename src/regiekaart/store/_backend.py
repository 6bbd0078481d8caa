"""What a SQL backend provides to the shared store logic, and what a store remembers.

The logic that decides correctness is written once, against these hooks: how a
transaction opens, how a placeholder is spelt, how JSON and times travel, how a
duplicate key shows. :mod:`.sqlite` and :mod:`.postgres` fill them in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from regiekaart.runtime.case import Case


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses (sqlite3 and psycopg agree on it)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, sql: Any, params: Any, /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Backend(ABC):
    """The hooks of one SQL database, and the case heads a store object knows."""

    backend: str = ""
    url: str = ""

    def _heads(self) -> WeakKeyDictionary[Case, tuple[int, str]]:
        """Per case object this store loaded, created or committed: the version and the
        head hash it then had. A commit at that version needs only to find the same head
        hash (which covers the state and every event before it) to know the store holds
        the case exactly as this object knew it."""
        heads: WeakKeyDictionary[Case, tuple[int, str]] = self.__dict__.setdefault(
            "_head_of", WeakKeyDictionary()
        )
        return heads

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction: committed on success, rolled back on error.

        A write transaction takes the database's write lock up front (SQLite) or
        row locks as it goes (PostgreSQL); a read transaction sees one consistent state.
        """

    @abstractmethod
    def _table_exists(self, cursor: Cursor, name: str) -> bool:
        """Whether the table ``name`` exists (the schema_version check needs it)."""

    @abstractmethod
    def _migration_lock(self, cursor: Cursor) -> None:
        """Serialise migrations between processes opening the same database."""

    @abstractmethod
    def _is_duplicate(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a primary-key violation."""

    @abstractmethod
    def _json_in(self, value: Any) -> Any:
        """A JSON value as the database takes it."""

    @abstractmethod
    def _json_out(self, value: Any) -> Any:
        """A JSON value as the database gives it back, parsed (raises ``ValueError``)."""

    @abstractmethod
    def _time_in(self, value: datetime) -> Any:
        """A time as the database takes it."""

    @abstractmethod
    def _time_out(self, value: Any) -> datetime:
        """A time as the database gives it back."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def _sql(self, statement: str) -> str:
        """The statement with this backend's placeholders (written here with ``?``)."""
        return statement
