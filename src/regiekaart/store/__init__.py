"""Durable case stores: SQLite by default, PostgreSQL for several hosts.

Both keep an append-only, hash-chained event table per case and a snapshot with a
version; a command's events and the new snapshot are written in one transaction, and
a writer that loaded an older version gets a
:class:`~regiekaart.errors.ConcurrencyConflict` instead of overwriting what another
committed. :func:`open_store` takes ``sqlite:///path`` or ``postgresql://...``.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from regiekaart.store.audit import ChainReport, StoredEvent
from regiekaart.store.migrations import LATEST as SCHEMA_VERSION
from regiekaart.store.protocol import CaseInfo, CaseStore
from regiekaart.store.sqlite import SQLiteStore
from regiekaart.store.url import open_store

__all__ = [
    "SCHEMA_VERSION",
    "CaseInfo",
    "CaseStore",
    "ChainReport",
    "SQLiteStore",
    "StoredEvent",
    "open_store",
]


def __getattr__(name: str) -> object:
    """``PostgresStore`` on first use, so importing the store never needs psycopg."""
    if name == "PostgresStore":
        from regiekaart.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
