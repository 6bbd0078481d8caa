"""Open a store from one URL, so hosts and the CLI name a database the same way.

``sqlite:///cases.db`` is a file relative to the working directory,
``sqlite:////var/lib/regiekaart/cases.db`` an absolute path and ``sqlite:///:memory:``
a throw-away database; ``postgresql://user:pass@host/db`` (or ``postgres://``) is handed
to libpq as it is, so every libpq option works, once :func:`check_postgres_url` has found
nothing in it that libpq would read differently from what was meant or quote back.

A store URL often carries a password, and it ends up in messages, logs and the
``url`` of a store. :func:`redact` is the one place that takes credentials out, for
every form a person might type: a URL's ``user:password@``, query options such as
``password=`` and ``sslpassword=``, libpq's ``key=value`` strings, and the same in a
URL with a mistyped or unknown scheme, or none. Where a text might not be redacted right
(not a store URL at all, an unknown scheme, a PostgreSQL URL libpq would misread), it is
not shown at all: the message says what to change instead.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation; never ``verify``, ``simulate``, ``render``,
``testing`` or ``cli``, which stand above the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from regiekaart.errors import StoreError
from regiekaart.store.protocol import CaseStore

__all__ = [
    "HIDDEN",
    "NOT_A_STORE_URL",
    "check_postgres_url",
    "open_store",
    "redact",
]

HIDDEN = "***"

_SECRET_KEY = r"[A-Za-z_]*(?:pass|secret|token)[A-Za-z_]*"
"""Option names whose value is hidden: ``password``, ``sslpassword``, ``passfile``
(its path may name the user) and anything else that looks like a secret."""

_URL_OPTION = re.compile(rf"(?i)([?&;]\s*{_SECRET_KEY}\s*=)[^&]*")
"""A query option's value runs to the next ``&``, as libpq reads it (a ``#`` included)."""
_DSN_OPTION = re.compile(
    rf"(?i)(\b{_SECRET_KEY}\s*=\s*)(?!\*\*\*)('(?:[^'\\]|\\[\s\S])*'?|(?:\\[\s\S]|[^\s\\])*\\?)"
)
"""A libpq ``key=value`` option: quoted, or up to white space that no backslash escapes."""
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}")
_MIN_SECRET = 4
"""Shorter known secrets are not replaced everywhere (a password ``a`` would hide every
letter a); the patterns above still hide them where a URL or libpq string holds them."""
_BARE_USERINFO = re.compile(r"^(\s*[^\s:/@=]*):.*@")


def redact(url: str, secrets: Iterable[str] = ()) -> str:
    """``url`` (or a message quoting it) with every password replaced by ``***``.

    It errs on the side of hiding: whatever follows ``user:`` up to the last ``@`` is
    taken for a password, even when the ``@`` belongs to something else. ``secrets``
    are values known to be secret (a password parsed from the URL); they are hidden
    wherever they occur, which covers a message that quotes one in its own way.
    """
    out = url
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True):
        out = out.replace(secret, HIDDEN)
    # ``scheme://``, also with its colon mistyped or encoded (``%3A//``), or a bare one
    out = _redact_userinfo(out) if "//" in out else _BARE_USERINFO.sub(rf"\1:{HIDDEN}@", out)
    out = _URL_OPTION.sub(rf"\1{HIDDEN}", out)
    return _DSN_OPTION.sub(rf"\1{HIDDEN}", out)


def _redact_userinfo(text: str) -> str:
    """Hide the password of every ``//user:password@`` in ``text``."""
    parts = text.split("//")
    for index in range(1, len(parts)):
        rest = parts[index]
        at = rest.rfind("@")
        if at < 0:
            continue
        colon = rest.find(":", 0, at)
        if colon >= 0:
            parts[index] = rest[: colon + 1] + HIDDEN + rest[at:]
    return "//".join(parts)


NOT_A_STORE_URL = (
    "not a store URL (not shown: it may hold a password);"
    " use sqlite:///PATH or postgresql://USER@HOST/DB"
)

_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NUL = re.compile(r"%00")
_LIBPQ_NAMES = """host hostaddr port dbname user password passfile require_auth
    channel_binding connect_timeout client_encoding options application_name
    fallback_application_name
    keepalives keepalives_idle keepalives_interval keepalives_count tcp_user_timeout
    replication gssencmode sslmode sslnegotiation sslcompression sslcert sslkey
    sslpassword sslcertmode sslrootcert sslcrl sslcrldir sslsni requirepeer
    ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib gssdelegation
    service target_session_attrs load_balance_hosts"""
_LIBPQ_OPTIONS = frozenset(_LIBPQ_NAMES.split())
"""The option names a message may name: any other "name" may be a piece of a password
whose ``&`` split it off (``password=p&ss``)."""


def check_postgres_url(url: str) -> None:
    """Refuse a ``postgresql://`` URL that libpq would read otherwise than meant.

    libpq splits the user info at the *first* ``@`` (a password ``p@ss`` sends ``ss@host``
    to the resolver, which names it in its error), takes ``h?password=p@ss`` for user
    info too, ends the user info at a ``/``, and
    refuses a space or a bad percent escape by quoting the text around it. Each of these
    would put part of a password into a message, so it is refused here first, with what to
    percent-encode, and with neither the URL nor the part that is wrong.
    """
    rest = url.partition("://")[2]
    at = rest.find("@")
    if rest.count("@") > 1:
        _refuse("holds more than one '@'", "an '@' in the user name, password or an option as %40")
    if at >= 0 and any(char in "/?#" for char in rest[:at]):
        _refuse(
            "has a '/', '?' or '#' before its '@'",
            "them in the user name or password as %2F, %3F, %23 (an '@' elsewhere as %40)",
        )
    userinfo, after = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    _check_part(userinfo, "its user name or password")
    place, _, query = after.partition("?")
    _check_part(place, "its host or database name")
    _check_ports(place.partition("/")[0])
    for option in query.split("&") if query else ():
        if not option:
            continue  # libpq's to judge; nothing of a value to quote
        name, equals, value = option.partition("=")
        shown = f"its option {name}" if name in _LIBPQ_OPTIONS else "an option"
        if not equals:
            _refuse(f"has {shown} without '='", "")
        if "=" in value:
            _refuse(f"has a second '=' in {shown}", "an '=' in a value as %3D")
        _check_part(name, "an option name")
        _check_part(value, shown)


def _check_ports(hosts: str) -> None:
    """A port that is not a number is most likely a password whose ``user:`` lost its
    ``@host`` (``postgresql://u:secret/db``): libpq would quote it back as a port."""
    for host in hosts.split(","):
        port = (
            host.rpartition("]")[2].partition(":")[2]
            if host.startswith("[")
            else (host.partition(":")[2])
        )
        if port and not port.isdigit():
            _refuse("has a port that is not a number; write USER:PASSWORD@HOST:PORT/DB", "")


def _check_part(text: str, where: str) -> None:
    if any(char.isspace() for char in text):
        _refuse(f"has white space in {where}", "a space as %20")
    if _PERCENT.search(text):
        _refuse(f"has a '%' in {where} not followed by two hex digits", "a '%' as %25")
    if _NUL.search(text):
        _refuse(f"has %00 in {where}", "")


def _refuse(problem: str, encode: str) -> None:
    advice = f": percent-encode {encode}" if encode else ""
    raise StoreError(
        f"the PostgreSQL store URL {problem}{advice} (the URL is not shown: it may hold a password)"
    )


def open_store(url: str, *, create: bool = True) -> CaseStore:
    """The store ``url`` names, with its schema created or migrated.

    With ``create=False`` a store that does not exist yet (a SQLite file not there, a
    database without the store's tables) is refused instead of created empty: a
    mistyped path then fails rather than showing an empty store, or an audit of nothing.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(NOT_A_STORE_URL)
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StoreError(
                "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path"
                " (the one given is not shown: it may hold a password)"
            )
        from regiekaart.store.sqlite import SQLiteStore

        return SQLiteStore(rest[1:], create=create)
    if scheme in ("postgresql", "postgres"):
        check_postgres_url(url)
        from regiekaart.store.postgres import PostgresStore

        return PostgresStore(url, create=create)
    named = f" {scheme!r}" if _SCHEME.fullmatch(scheme) else ""
    raise StoreError(
        f"unknown store URL scheme{named} (the URL is not shown: it may hold a password);"
        " use sqlite:///PATH or postgresql://..."
    )
