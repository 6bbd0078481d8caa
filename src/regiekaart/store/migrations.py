"""The store's schema, as numbered migrations the store applies itself.

A database records the migrations applied to it in ``schema_version``. Opening a store
applies the missing ones, each in its own transaction together with its
``schema_version`` row, so a crash leaves the database at a whole version. A database
whose version is newer than :data:`LATEST` was written by a newer regiekaart: it is
refused before anything is touched, because guessing at a schema we do not know could
damage an audit trail we cannot read.

Each migration is written out per dialect: the two backends share their tables and
meaning, not their SQL types.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

from attrs import frozen

__all__ = [
    "LATEST",
    "MIGRATIONS",
    "SCHEMA_VERSION_TABLE",
    "Migration",
    "pending",
]


@frozen
class Migration:
    """One step of the schema, with its statements for each backend."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        """The statements for ``dialect`` (``sqlite`` or ``postgres``)."""
        return self.sqlite if dialect == "sqlite" else self.postgres


SCHEMA_VERSION_TABLE = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    ),
    "postgres": (
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ),
}
"""Created before the first migration; it is what every later version is read from."""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="cases with their snapshot and version; the hash-chained event table",
        sqlite=(
            """CREATE TABLE cases (
                case_id TEXT PRIMARY KEY,
                policy_id TEXT NOT NULL,
                policy_version TEXT NOT NULL,
                policy_digest TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                phase TEXT NOT NULL,
                closed INTEGER NOT NULL,
                head_hash TEXT NOT NULL,
                snapshot TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE events (
                case_id TEXT NOT NULL REFERENCES cases (case_id),
                seq INTEGER NOT NULL CHECK (seq >= 1),
                at TEXT NOT NULL,
                command TEXT NOT NULL,
                rule TEXT NOT NULL,
                policy_digest TEXT NOT NULL,
                body TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (case_id, seq)
            )""",
        ),
        postgres=(
            """CREATE TABLE cases (
                case_id TEXT PRIMARY KEY,
                policy_id TEXT NOT NULL,
                policy_version TEXT NOT NULL,
                policy_digest TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                phase TEXT NOT NULL,
                closed BOOLEAN NOT NULL,
                head_hash TEXT NOT NULL,
                snapshot JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL
            )""",
            """CREATE TABLE events (
                case_id TEXT NOT NULL REFERENCES cases (case_id),
                seq INTEGER NOT NULL CHECK (seq >= 1),
                at TIMESTAMPTZ NOT NULL,
                command TEXT NOT NULL,
                rule TEXT NOT NULL,
                policy_digest TEXT NOT NULL,
                body JSONB NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (case_id, seq)
            )""",
        ),
    ),
    Migration(
        version=2,
        description="the event table refuses UPDATE and DELETE: the audit trail is append-only",
        sqlite=(
            """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'regiekaart: events are append-only: UPDATE refused'); END""",
            """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'regiekaart: events are append-only: DELETE refused'); END""",
        ),
        postgres=(
            """CREATE FUNCTION regiekaart_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'regiekaart: events are append-only (% refused)', TG_OP;
            END
            $$""",
            """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION regiekaart_events_append_only()""",
            """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION regiekaart_events_append_only()""",
        ),
    ),
)

_CARDS = """CREATE TABLE cards (
    digest TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    document TEXT NOT NULL
)"""

MIGRATIONS += (
    Migration(
        version=3,
        description=(
            "each event chains the digest of the state it produced; the store keeps every "
            "card its events were decided under; cards and case rows are never deleted"
        ),
        sqlite=(
            "ALTER TABLE events ADD COLUMN state_digest TEXT",
            _CARDS,
            """CREATE TRIGGER cards_no_update BEFORE UPDATE ON cards
            BEGIN SELECT RAISE(ABORT, 'regiekaart: cards are append-only: UPDATE refused'); END""",
            """CREATE TRIGGER cards_no_delete BEFORE DELETE ON cards
            BEGIN SELECT RAISE(ABORT, 'regiekaart: cards are append-only: DELETE refused'); END""",
            """CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
            BEGIN SELECT RAISE(ABORT, 'regiekaart: cases are kept: DELETE refused'); END""",
        ),
        postgres=(
            "ALTER TABLE events ADD COLUMN state_digest TEXT",
            _CARDS,
            """CREATE FUNCTION regiekaart_kept() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'regiekaart: % is kept for the audit (% refused)',
                    TG_TABLE_NAME, TG_OP;
            END
            $$""",
            """CREATE TRIGGER cards_append_only BEFORE UPDATE OR DELETE ON cards
            FOR EACH ROW EXECUTE FUNCTION regiekaart_kept()""",
            """CREATE TRIGGER cards_no_truncate BEFORE TRUNCATE ON cards
            FOR EACH STATEMENT EXECUTE FUNCTION regiekaart_kept()""",
            """CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
            FOR EACH ROW EXECUTE FUNCTION regiekaart_kept()""",
            """CREATE TRIGGER cases_no_truncate BEFORE TRUNCATE ON cases
            FOR EACH STATEMENT EXECUTE FUNCTION regiekaart_kept()""",
        ),
    ),
)

MIGRATIONS += (
    Migration(
        version=4,
        description=(
            "each case row says when the first of its time limits is up (next_due), "
            "indexed, so what is due across cases is found without reading every case"
        ),
        sqlite=(
            "ALTER TABLE cases ADD COLUMN next_due TEXT",
            "CREATE INDEX cases_next_due ON cases (next_due)",
        ),
        postgres=(
            "ALTER TABLE cases ADD COLUMN next_due TIMESTAMPTZ",
            "CREATE INDEX cases_next_due ON cases (next_due)",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version
"""The schema version this regiekaart writes."""


def pending(current: int) -> tuple[Migration, ...]:
    """The migrations a database at ``current`` still needs, in order."""
    return tuple(m for m in MIGRATIONS if m.version > current)
