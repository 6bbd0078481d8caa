"""Credentials never leave in a message: every URL form a person might type, redacted.

The password may sit in a URL's user info, in a query option, in a libpq
``key=value`` string, or in a URL whose scheme is mistyped; psycopg may quote the whole
string back in its error. Whatever the form, no message, ``repr`` or ``url`` holds it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart import StoreError
from regiekaart.store import open_store
from regiekaart.store.postgres import PostgresStore, describe
from regiekaart.store.url import redact
from store_support import pg_base_url, quiet_logs

CLOSED = "127.0.0.1:1"
"""A port nothing listens on: a connection is refused at once."""


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgresql://u:pw-secret@h/db", "postgresql://u:***@h/db"),
        ("postgres://u:pw-secret@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require"),
        ("postgresql://u:p%40w:x@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p@w@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h:1/x?password=pw-secret", "postgresql://u@h:1/x?password=***"),
        ("postgresql://u@h/x?sslmode=require&PASSWORD=pw-secret&connect_timeout=2",
         "postgresql://u@h/x?sslmode=require&PASSWORD=***&connect_timeout=2"),
        ("postgresql://u@h/x?sslpassword=pw-secret", "postgresql://u@h/x?sslpassword=***"),
        ("postgresql:///x?host=/run&passfile=/home/u/.pgpass", "postgresql:///x?host=/run&passfile=***"),
        ("host=h password=pw-secret user=u", "host=h password=*** user=u"),
        ("host=h password = pw-secret", "host=h password = ***"),
        ("host=h password='pw secret \\' x' user=u", "host=h password=*** user=u"),
        ("host=h sslpassword=pw-secret", "host=h sslpassword=***"),
        ("postgresq://u:pw-secret@h", "postgresq://u:***@h"),
        ("mysql://u:pw-secret@h/db", "mysql://u:***@h/db"),
        ("u:pw-secret@h/db", "u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite:///cases.db", "sqlite:///cases.db"),
        ('missing "=" after "postgresq://u:pw-secret@h" in connection info string',
         'missing "=" after "postgresq://u:***@h" in connection info string'),
    ],
)  # fmt: skip
def test_redact_hides_the_password_of_every_form(url: str, redacted: str) -> None:
    assert redact(url) == redacted


def test_redact_hides_a_known_secret_wherever_it_is_quoted() -> None:
    assert redact("failed for 'pw-secret' here", ["pw-secret"]) == "failed for '***' here"
    assert redact("a short one stays: ab", ["ab"]) == "a short one stays: ab"


TOKENS = st.from_regex(r"\APw[A-Za-z0-9]{6,16}\Z")
SPECIAL_TOKENS = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="'\\"),
    min_size=8,
    max_size=20,
).map(lambda s: "Pw" + s)


def url_forms(password: str) -> list[str]:
    """Every way a person might hand a password to the store, pointed at a closed port."""
    q = quote(password, safe="")
    dsn = "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return [
        f"postgresql://u:{q}@{CLOSED}/x?connect_timeout=2",
        f"postgres://u:{q}@{CLOSED}/x",
        f"postgresql://u@{CLOSED}/x?password={q}",
        f"postgresql://u@{CLOSED}/x?sslpassword={q}&password={q}",
        f"postgresq://u:{q}@h/x",
        f"postgresql:/u:{q}@h/x",
        f"mysql://u:{q}@h/db",
        f"u:{q}@h/db",
        f"host=127.0.0.1 port=1 user=u password={dsn}",
        f"sqlite://u:{q}@h/x",
    ]


def leaks(password: str, text: str) -> bool:
    return password in text or quote(password, safe="") in text


def refusal(make: object) -> StoreError:
    with pytest.raises(StoreError) as caught:
        make()  # type: ignore[operator]
    return caught.value


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.one_of(TOKENS, SPECIAL_TOKENS))
def test_no_message_ever_holds_the_password(password: str) -> None:
    for url in url_forms(password):
        assert not leaks(password, redact(url)), url
        exc = refusal(lambda url=url: open_store(url))
        assert not leaks(password, str(exc)), (url, str(exc))
        assert not leaks(password, repr(exc)), url
        assert exc.__cause__ is None
    for dsn in (url_forms(password)[0], url_forms(password)[4], url_forms(password)[8]):
        exc = refusal(lambda dsn=dsn: PostgresStore(dsn, connect_timeout=2))
        assert not leaks(password, str(exc)), (dsn, str(exc))


def test_psycopg_quoting_a_mistyped_dsn_is_redacted() -> None:
    exc = refusal(lambda: PostgresStore("postgresq://u:Pw-not-shown@h/x"))
    assert "Pw-not-shown" not in str(exc)
    assert "u:***@h" in str(exc)


def test_an_open_store_names_itself_without_its_password() -> None:
    base = pg_base_url()
    password = psycopg.conninfo.conninfo_to_dict(base).get("password")
    if not password:
        pytest.skip("the test server takes no password")
    with open_store(base) as store:
        assert str(password) not in store.url
        assert str(password) not in repr(store)
        assert store.url.startswith("postgresql://")


def test_a_database_error_is_described_without_the_data_it_quotes() -> None:
    with psycopg.connect(pg_base_url(), autocommit=True) as db:
        with pytest.raises(psycopg.Error) as caught:
            db.execute("SELECT 'Pw-personal-value'::int")
        assert "Pw-personal-value" in str(caught.value), "psycopg quotes it"
        described = describe(caught.value)
        assert "Pw-personal-value" not in described
        assert described == "InvalidTextRepresentation (SQLSTATE 22P02)"
        db.execute("CREATE TEMP TABLE t (k TEXT PRIMARY KEY)")
        with pytest.raises(psycopg.Error) as caught:
            db.execute("INSERT INTO t VALUES ('Pw-key'), ('Pw-key')")
        described = describe(caught.value)
        assert "Pw-key" not in described
        assert "duplicate key value violates unique constraint" in described


def test_a_sqlite_path_is_not_taken_for_a_password(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'cases.db'}") as store:
        assert store.url == f"sqlite:///{tmp_path / 'cases.db'}"


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.one_of(TOKENS, SPECIAL_TOKENS))
def test_a_refused_login_names_neither_the_password_nor_its_encoding(password: str) -> None:
    """A real server refusing the password: the store's message must not repeat it."""
    base = psycopg.conninfo.conninfo_to_dict(pg_base_url())
    host, port = base.get("host", "127.0.0.1"), base.get("port", "5432")
    user, name = base.get("user", "regiekaart_test"), base.get("dbname", "regiekaart_test")
    q = quote(password, safe="")
    dsn = "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    for url in (
        f"postgresql://{user}:{q}@{host}:{port}/{name}",
        f"postgresql://{user}@{host}:{port}/{name}?password={q}",
        f"host={host} port={port} user={user} dbname={name} password={dsn}",
    ):
        exc = refusal(lambda url=url: PostgresStore(url, connect_timeout=5))
        assert "password authentication failed" in str(exc)
        assert not leaks(password, str(exc)), (url, str(exc))
