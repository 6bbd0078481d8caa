"""The shared store: PostgreSQL through psycopg 3, for several host processes or machines.

psycopg is an optional dependency (``pip install 'regiekaart[postgres]'``) imported only
when a PostgreSQL store is opened, so an embedded host never needs it. A commit reads
the case's head with ``SELECT ... FOR UPDATE``: a second writer waits for the first and
then sees the version that one wrote, so it gets a
:class:`~regiekaart.errors.ConcurrencyConflict` instead of a lost update. Reads run
``REPEATABLE READ``, so a verification or a history sees one moment of the database.

The tables live in the first schema of the connection's ``search_path``; a host that
shares a database gives the store its own schema with the libpq option
``options=-csearch_path=NAME`` in the URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from ..errors import StoreError
from ._sql import Cursor, SQLStore

if TYPE_CHECKING:
    import psycopg

_log = structlog.get_logger("regiekaart.store")

_MIGRATION_LOCK = 0x7265_6769_656B  # an advisory lock key of our own: "regiek"


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs psycopg 3: pip install 'regiekaart[postgres]'"
        ) from None
    return psycopg


class PostgresStore(SQLStore):
    """A case store in a PostgreSQL database, given by a libpq URL or conninfo string."""

    backend = "postgres"
    _lock_clause = " FOR UPDATE"

    def __init__(self, conninfo: str, *, connect_timeout: int = 10) -> None:
        self.url = redact(conninfo)
        pg = _psycopg()
        self._errors = pg.errors
        self._jsonb = pg.types.json.Jsonb
        try:
            self._db: psycopg.Connection[Any] = pg.connect(
                conninfo, autocommit=True, connect_timeout=connect_timeout
            )
        except pg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store {self.url}: {exc}") from None
        try:
            self._migrate()
        except pg.Error as exc:
            self._db.close()
            raise StoreError(f"cannot use {self.url} as a store: {exc}") from None
        except BaseException:
            self._db.close()
            raise
        _log.debug("store.opened", backend=self.backend)

    @contextmanager
    def _cursor(self, *, write: bool) -> Iterator[Cursor]:
        try:
            with self._db.transaction(), self._db.cursor() as cursor:
                if not write:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield cursor
        except self._errors.Error as exc:
            raise StoreError(f"PostgreSQL store {self.url}: {exc}") from exc

    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        return self._cursor(write=write)

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _table_exists(self, cursor: Cursor, name: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        row = cursor.fetchone()
        return bool(row and row[0])

    def _migration_lock(self, cursor: Cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _is_duplicate(self, exc: BaseException) -> bool:
        return isinstance(exc, self._errors.UniqueViolation)

    def _json_in(self, value: Any) -> Any:
        return self._jsonb(value)

    def _json_out(self, value: Any) -> Any:
        return value

    def _time_in(self, value: datetime) -> Any:
        return value

    def _time_out(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamp, found {type(value).__name__}")
        return value

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
