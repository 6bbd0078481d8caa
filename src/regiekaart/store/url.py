"""Open a store from one URL, so hosts and the CLI name a database the same way.

``sqlite:///cases.db`` is a file relative to the working directory,
``sqlite:////var/lib/regiekaart/cases.db`` an absolute path and ``sqlite:///:memory:``
a throw-away database; ``postgresql://user:pass@host/db`` (or ``postgres://``) is handed
to libpq as it is, so every libpq option works.

A store URL often carries a password, and it ends up in messages, logs and the
``url`` of a store. :func:`redact` is the one place that takes credentials out, for
every form a person might type: a URL's ``user:password@``, query options such as
``password=`` and ``sslpassword=``, libpq's ``key=value`` strings, and the same in a
URL with a mistyped or unknown scheme, or none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import StoreError
from .protocol import CaseStore

HIDDEN = "***"

_SECRET_KEY = r"[A-Za-z_]*(?:pass|secret|token)[A-Za-z_]*"
"""Option names whose value is hidden: ``password``, ``sslpassword``, ``passfile``
(its path may name the user) and anything else that looks like a secret."""

_URL_OPTION = re.compile(rf"(?i)([?&;]\s*{_SECRET_KEY}\s*=)[^&#]*")
_DSN_OPTION = re.compile(rf"(?i)(\b{_SECRET_KEY}\s*=\s*)(?!\*\*\*)('(?:[^'\\]|\\.)*'?|\S*)")
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
    if "://" in out:
        out = _redact_userinfo(out)
        out = _URL_OPTION.sub(rf"\1{HIDDEN}", out)
    else:
        out = _BARE_USERINFO.sub(rf"\1:{HIDDEN}@", out)
    return _DSN_OPTION.sub(rf"\1{HIDDEN}", out)


def _redact_userinfo(text: str) -> str:
    """Hide the password of every ``scheme://user:password@`` in ``text``."""
    parts = text.split("://")
    for index in range(1, len(parts)):
        rest = parts[index]
        at = rest.rfind("@")
        if at < 0:
            continue
        colon = rest.find(":", 0, at)
        if colon >= 0:
            parts[index] = rest[: colon + 1] + HIDDEN + rest[at:]
    return "://".join(parts)


def open_store(url: str) -> CaseStore:
    """The store ``url`` names, with its schema created or migrated."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(
            f"not a store URL: {redact(url)!r}; use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StoreError(
                f"{redact(url)!r}: a SQLite URL is sqlite:///relative/path"
                " or sqlite:////absolute/path"
            )
        from .sqlite import SQLiteStore

        return SQLiteStore(rest[1:])
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url)
    named = f" {scheme!r}" if _SCHEME.fullmatch(scheme) else ""
    raise StoreError(
        f"unknown store URL scheme{named} in {redact(url)!r};"
        " use sqlite:///PATH or postgresql://..."
    )
