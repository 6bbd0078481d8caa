"""Open a store from one URL, so hosts and the CLI name a database the same way.

``sqlite:///cases.db`` is a file relative to the working directory,
``sqlite:////var/lib/regiekaart/cases.db`` an absolute path and ``sqlite:///:memory:``
a throw-away database; ``postgresql://user:pass@host/db`` (or ``postgres://``) is handed
to libpq as it is, so every libpq option works.
"""

from __future__ import annotations

from ..errors import StoreError
from .protocol import CaseStore


def open_store(url: str) -> CaseStore:
    """The store ``url`` names, with its schema created or migrated."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(
            f"not a store URL: {url!r}; use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StoreError(
                f"{url!r}: a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path"
            )
        from .sqlite import SQLiteStore

        return SQLiteStore(rest[1:])
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise StoreError(
        f"unknown store URL scheme {scheme!r} in {url!r}; use sqlite:///PATH or postgresql://..."
    )
