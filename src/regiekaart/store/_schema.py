"""The schema check and migration every SQL store runs when it opens.

A database newer than this code is refused before anything is touched; an older one is
brought up one migration at a time, each in its own transaction (see :mod:`.migrations`).
"""

from __future__ import annotations

import structlog

from regiekaart.errors import SchemaTooNew
from regiekaart.store import migrations
from regiekaart.store._backend import Backend, Cursor

_log = structlog.get_logger("regiekaart.store")


class Migrating(Backend):
    """Reads the schema version and applies the missing migrations."""

    def schema_version(self) -> int:
        """The highest migration applied to the database (0 for an empty one)."""
        with self._transaction(write=False) as cursor:
            return self._read_schema_version(cursor)

    def _read_schema_version(self, cursor: Cursor) -> int:
        if not self._table_exists(cursor, "schema_version"):
            return 0
        cursor.execute("SELECT MAX(version) FROM schema_version")
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _check_schema(self) -> int:
        """Refuse a database newer than this code before touching anything."""
        current = self.schema_version()
        if current > migrations.LATEST:
            raise SchemaTooNew(current, migrations.LATEST)
        return current

    def _migrate(self) -> None:
        """Bring the schema to :data:`~.migrations.LATEST`, one transaction per step."""
        if self._check_schema() == migrations.LATEST:
            return
        for migration in migrations.MIGRATIONS:
            if self._apply(migration):
                _log.info(
                    "store.migrated",
                    backend=self.backend,
                    version=migration.version,
                    description=migration.description,
                )

    def _apply(self, migration: migrations.Migration) -> bool:
        """Apply one migration unless another process already did; whether this one did."""
        with self._transaction(write=True) as cursor:
            self._migration_lock(cursor)
            cursor.execute(migrations.SCHEMA_VERSION_TABLE[self.backend])
            current = self._read_schema_version(cursor)
            if current > migrations.LATEST:
                raise SchemaTooNew(current, migrations.LATEST)
            if current >= migration.version:
                return False
            for statement in migration.statements(self.backend):
                cursor.execute(statement)
            cursor.execute(
                self._sql("INSERT INTO schema_version (version, description) VALUES (?, ?)"),
                (migration.version, migration.description),
            )
        return True
