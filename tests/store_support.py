"""Shared set-up of the store tests: one real database per test, for each backend.

SQLite gets a file in the test's temporary folder. PostgreSQL gets a schema of its own
in the server ``REGIEKAART_TEST_PG`` names (``scripts/with-postgres`` starts one), made
and dropped around the test; the store reaches it through the libpq option
``search_path``, as a host sharing a database would. Without that variable the
PostgreSQL tests skip on a developer's machine and fail in CI (``CI=true``), so CI can
never pass by skipping them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import structlog

from regiekaart import Case, Policy, StepClock, load_policy
from regiekaart.analysis.situations import default_household

ROOT = Path(__file__).resolve().parent.parent
UNIVERSEEL = ROOT / "machines" / "universeel.yaml"
BACKENDS = ("sqlite", "postgres")
PG_ENV = "REGIEKAART_TEST_PG"


@cache
def policy() -> Policy:
    """The universal card, loaded once per process."""
    return load_policy(UNIVERSEEL)


def quiet_logs() -> None:
    """Only warnings from structlog: thousands of commands would otherwise each print."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def new_case(case_id: str, *, clock: StepClock | None = None) -> Case:
    """A fresh case of a household with one member of each group."""
    p = policy()
    return Case.create(
        p, case_id, actor="wijkteam", members=default_household(p), clock=clock or StepClock()
    )


def pg_base_url() -> str:
    """The test server's URL; skips locally and fails in CI when there is none."""
    url = os.environ.get(PG_ENV, "")
    if not url:
        message = f"{PG_ENV} is not set: no PostgreSQL server to test against"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must provide one: run under scripts/with-postgres)")
        pytest.skip(message)
    if "://" not in url:
        pytest.fail(f"{PG_ENV} must be a postgresql:// URL, not {url!r}")
    return url


class Backend:
    """One test database: its store URL and raw SQL access for tampering and checks."""

    def __init__(self, name: str, url: str, *, path: Path | None = None, schema: str = "") -> None:
        self.name = name
        self.url = url
        self.path = path
        self.schema = schema

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement outside the store (as a person with a SQL prompt would)."""
        if self.name == "sqlite":
            db = sqlite3.connect(str(self.path), isolation_level=None)
            try:
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db, db.cursor() as cursor:
            if params:
                cursor.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            else:
                cursor.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def drop_guards(self) -> None:
        """Remove the append-only triggers, as someone tampering by hand would first."""
        if self.name == "sqlite":
            for trigger in ("events_no_update", "events_no_delete"):
                self.execute(f"DROP TRIGGER {trigger}")
            for trigger in ("cards_no_update", "cards_no_delete", "cases_no_delete"):
                self.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            self.execute("DROP TRIGGER events_append_only ON events")
            self.execute("DROP TRIGGER events_no_truncate ON events")
            for trigger, table in (
                ("cards_append_only", "cards"),
                ("cards_no_truncate", "cards"),
                ("cases_no_delete", "cases"),
                ("cases_no_truncate", "cases"),
            ):
                self.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove that nothing changed."""
        tables = ("schema_version", "cases", "events", "cards")
        out = {}
        for table in tables:
            rows = self.execute(f"SELECT * FROM {table}")
            out[table] = sorted(tuple(str(v) for v in row) for row in rows)
        return out


@contextmanager
def backend(name: str, folder: Path) -> Iterator[Backend]:
    """A fresh, empty database of ``name`` for one test."""
    if name == "sqlite":
        path = folder / "cases.db"
        yield Backend(name, f"sqlite:///{path}", path=path)
        return
    base = pg_base_url()
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        yield Backend(name, url, schema=schema)
    finally:
        with psycopg.connect(base, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]
