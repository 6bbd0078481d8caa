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
from typer.testing import CliRunner

from regiekaart import StoreError
from regiekaart.cli import app
from regiekaart.store import open_store
from regiekaart.store.postgres import PostgresStore, describe
from regiekaart.store.url import check_postgres_url, redact
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
        ("host=h password=pw-secret\\ I user=u", "host=h password=*** user=u"),
        ("host=h password=pw-secret\\", "host=h password=***"),
        ("postgresql://u@h/x?password=pw#secret&a=b", "postgresql://u@h/x?password=***&a=b"),
        ("postgresql%3A//u:pw-secret@h/x", "postgresql%3A//u:***@h/x"),
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
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=8, max_size=20
).map(lambda s: "Pw" + s)
"""Every printable ASCII character: spaces, ``@``, ``%``, quotes and backslashes too."""
MARKER = "Pw"
MARKED_TOKENS = st.lists(
    st.tuples(st.text("abc0%", max_size=3), st.sampled_from(" @%\\/?#&=:'\"\t")),
    min_size=1,
    max_size=4,
).map(lambda parts: MARKER + "".join(f"{word}{sep}{MARKER}" for word, sep in parts))
"""Passwords whose every piece between two special characters starts with ``Pw``: a
message that quotes any piece libpq cut out of one holds ``Pw``, which no message of its
own or ours does."""


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


def raw_forms(password: str) -> list[str]:
    """The password typed into a URL or a libpq string as it is, not encoded."""
    return [
        f"postgresql://u:{password}@{CLOSED}/x?connect_timeout=2",
        f"postgresql://{CLOSED}/x?connect_timeout=2&password={password}",
        f"postgresql://u@{CLOSED}/x?password={password}&connect_timeout=2",
        f"postgresql%3A//u:{password}@{CLOSED}/x",
        f"postgresql:/u:{password}@{CLOSED}/x",
        f"password={password}",
        f"host=127.0.0.1 port=1 user=u password={password}",
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


@settings(max_examples=60, deadline=None, derandomize=True)
@given(MARKED_TOKENS)
def test_no_message_holds_any_piece_of_a_password_typed_raw(password: str) -> None:
    """However libpq would cut a raw password up, no piece of it reaches a message."""
    for url in raw_forms(password):
        for make in (
            lambda url=url: open_store(url),
            lambda url=url: PostgresStore(url, connect_timeout=2),
        ):
            exc = refusal(make)
            assert MARKER not in str(exc), (url, str(exc))
            assert MARKER not in repr(exc), url
            assert exc.__cause__ is None


def test_a_string_libpq_cannot_parse_is_not_shown() -> None:
    """libpq's parse errors quote the text around the fault: none of it is passed on."""
    for dsn in ("postgresq://u:Pw-not-shown@h/x", "host=h password=Pw-not shown'"):
        exc = refusal(lambda dsn=dsn: PostgresStore(dsn))
        assert "Pw-not" not in str(exc)
        assert "shown" not in str(exc).replace("not shown", "")
        assert "libpq cannot read the PostgreSQL connection string" in str(exc)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u:S3CRET t@127.0.0.1:1/x", "white space in its user name or password"),
        ("postgresql://u:S3C@RETq@127.0.0.1:1/x", "more than one '@'"),
        ("postgresql://u:S3CRET%zzj@127.0.0.1:1/x", "'%' in its user name or password"),
        ("postgresql://u:S3CRET%00@127.0.0.1:1/x", "%00"),
        ("postgresql://u:S3C/RETq@127.0.0.1:1/x", "a '/', '?' or '#' before its '@'"),
        ("postgresql://u:S3C?RETq@127.0.0.1:1/x", "a '/', '?' or '#' before its '@'"),
        ("postgresql://127.0.0.1:1/x?password=S3CRET m", "white space in its option password"),
        ("postgresql://127.0.0.1:1/x?password=S3C@RET", "'@' elsewhere as %40"),
        ("postgresql://h?password=S3C@RET", "'?' or '#' before its '@'"),
        ("postgresql://u@h?password=S3C@RET", "more than one '@'"),
        ("postgresql://127.0.0.1:1/x?password=S3C=RET", "second '=' in its option password"),
        ("postgresql://127.0.0.1:1/x?S3CRET", "an option without '='"),
        ("postgresql://127.0.0.1:1/x?S3C RET=1", "white space in an option name"),
        ("postgresql%3A//u:S3CRETz@127.0.0.1/x", "not a store URL (not shown"),
        ("password=S3CRET\\ I", "not a store URL (not shown"),
        ("S3CRET", "not a store URL (not shown"),
        ("postgresql://u:S3CRETPW/x", "a port that is not a number"),
        ("postgresql://u:S3CRETPW", "a port that is not a number"),
        ("postgresql://u@127.0.0.1:S3CRETPW/x", "a port that is not a number"),
        ("mysql://u:S3C RET@h/x", "unknown store URL scheme 'mysql'"),
        ("sqlite://u:S3CRET@h/x", "a SQLite URL is sqlite:///"),
    ],
)
def test_a_url_libpq_would_misread_is_refused_unseen(url: str, said: str) -> None:
    """Each of these once put part of the password into ``case list``'s message."""
    result = CliRunner().invoke(app, ["case", "list", "--db", url])
    assert result.exit_code == 4, result.output
    message = " ".join(result.stderr.split())
    assert said in message
    assert "S3C" not in message
    assert "RET" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p%40s%2Fs%20w%25@h:5432/db?sslmode=require&connect_timeout=2",
        "postgresql:///db?host=/run/postgresql&options=-csearch_path%3Dregiekaart",
        "postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write",
        "postgresql://[::1]:5432/db",
        "postgresql://u:p!a$s&s'()*+,;=~@h/db",
    ],
)
def test_a_url_libpq_reads_as_meant_passes_the_check(url: str) -> None:
    check_postgres_url(url)


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
