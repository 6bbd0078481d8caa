"""The shared store: PostgreSQL through psycopg 3, for several host processes or machines.

psycopg is an optional dependency (``pip install 'regiekaart[postgres]'``) imported only
when a PostgreSQL store is opened, so an embedded host never needs it. A commit reads
the case's head with ``SELECT ... FOR UPDATE``: a second writer waits for the first and
then sees the version that one wrote, so it gets a
:class:`~regiekaart.errors.ConcurrencyConflict` instead of a lost update. Reads run
``REPEATABLE READ``, so a verification or a history sees one moment of the database.

The tables live in the first schema of the connection's ``search_path``; a host that
shares a database gives the store its own schema with the libpq option
``options=-csearch_path%3DNAME`` in the URL (libpq refuses a second raw ``=``).

The session runs in UTC, so a time reads back as the instant that was written, in the
same zone SQLite gives it. A database error is reported by its class and SQLSTATE,
not by its text: PostgreSQL's messages and details quote the offending row, and a
:class:`~regiekaart.errors.StoreError` must be safe to log.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from regiekaart.errors import StoreError, UnstorableValue
from regiekaart.store._backend import Cursor
from regiekaart.store._boundary import (
    SURROGATE_REFUSED,
    CheckedCursor,
    IdChecks,
    check_json,
    time_in,
    time_out,
)
from regiekaart.store._sql import SQLStore
from regiekaart.store.url import check_postgres_url, redact

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "PostgresStore",
    "describe",
]

_log = structlog.get_logger("regiekaart.store")

_MIGRATION_LOCK = 0x7265_6769_656B  # an advisory lock key of our own: "regiek"


_SECRET_OPTIONS = ("password", "sslpassword")

_TEXT_KEPT = ("IntegrityError", "OperationalError")
"""Error classes whose primary message names only constraints, tables and conditions
(``duplicate key value violates unique constraint "cases_pkey"``); their details,
which quote the key, are still left out."""


def _parse(conninfo: str) -> dict[str, Any]:
    """``conninfo`` as libpq reads it; a string it cannot read is refused unseen.

    libpq's parse errors quote the text they stumbled on (``unexpected spaces found in
    "pass word"``), which is as likely a password as not, so only what to check is said.
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        return dict(conninfo_to_dict(conninfo))
    except Exception as exc:
        raise StoreError(
            f"libpq cannot read the PostgreSQL connection string ({type(exc).__name__};"
            " not shown: it may hold a password): percent-encode a space, '@', '/', '%'"
            " in a URL's user name, password or option values, quote a libpq key=value"
            " value that holds a space"
        ) from None


def _secrets(options: dict[str, Any]) -> tuple[str, ...]:
    """The passwords in the parsed options, to hide wherever a message quotes them."""
    return tuple(str(options[key]) for key in _SECRET_OPTIONS if options.get(key))


def describe(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A psycopg error for a message: its class and SQLSTATE, never the row it quotes."""
    name = type(exc).__name__
    sqlstate = getattr(exc, "sqlstate", None)
    out = name + (f" (SQLSTATE {sqlstate})" if sqlstate else "")
    classes = {cls.__name__ for cls in type(exc).__mro__}
    if sqlstate == "P0001" or classes.intersection(_TEXT_KEPT):
        diag = getattr(exc, "diag", None)
        primary = getattr(diag, "message_primary", None) if sqlstate else str(exc)
        if primary:
            out += ": " + redact(str(primary), secrets)
    return out


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL store needs psycopg 3: pip install 'regiekaart[postgres]'"
        ) from None
    return psycopg


class PostgresStore(IdChecks, SQLStore):
    """A case store in a PostgreSQL database, given by a libpq URL or conninfo string.

    With ``create=False`` a database (or ``search_path`` schema) without the store's
    tables is refused rather than given them.
    """

    backend = "postgres"
    _lock_clause = " FOR UPDATE"

    def __init__(self, conninfo: str, *, connect_timeout: int = 10, create: bool = True) -> None:
        pg = _psycopg()
        if "://" in conninfo:
            check_postgres_url(conninfo)
        self._secrets = _secrets(_parse(conninfo))
        self.url = redact(conninfo, self._secrets)
        self._errors = pg.errors
        self._jsonb = pg.types.json.Jsonb
        try:
            self._db: psycopg.Connection[Any] = pg.connect(
                conninfo, autocommit=True, connect_timeout=connect_timeout
            )
        except pg.Error as exc:
            reason = redact(str(exc), self._secrets).strip()
            raise StoreError(
                f"cannot connect to the PostgreSQL store {self.url}: {reason}"
            ) from None
        try:
            self._db.execute("SET TIME ZONE 'UTC'")
            if not create and self.schema_version() == 0:
                raise StoreError(f"no store at {self.url}: its database holds no store tables")
            self._migrate()
        except pg.Error as exc:
            self._db.close()
            raise StoreError(
                f"cannot use {self.url} as a store: {describe(exc, self._secrets)}"
            ) from None
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
                yield CheckedCursor(cursor)
        except self._errors.Error as exc:
            message = describe(exc, self._secrets)
            # The cause is a stand-in of the same class (the shared logic tells a
            # duplicate key by it) without the original's text, which quotes the row.
            raise StoreError(f"PostgreSQL store {self.url}: {message}") from type(exc)(message)
        except UnicodeEncodeError:
            raise UnstorableValue(SURROGATE_REFUSED) from None

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
        return self._jsonb(check_json(value))

    def _json_out(self, value: Any) -> Any:
        return value

    def _time_in(self, value: datetime) -> Any:
        return time_in(value)

    def _time_out(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamp, found {type(value).__name__}")
        return time_out(value)

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r})"

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
