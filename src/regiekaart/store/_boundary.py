"""What both backends check before a value reaches their database, so they agree.

SQLite stores a NUL that PostgreSQL refuses; neither can encode a lone surrogate; a
naive time is "local" to whichever server reads it; the two take different ranges of
dates. Left to the databases, the same case would be stored by one backend and refused
by the other, with an error quoting the row. Each backend runs its times, its JSON and
every statement parameter through this module instead, and every refusal is one
:class:`~regiekaart.errors.UnstorableValue` whose message names no stored data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from regiekaart.errors import InvalidTime, UnstorableValue
from regiekaart.ids import check_id, check_time
from regiekaart.runtime.case import Case
from regiekaart.store._backend import Cursor

NUL_REFUSED = (
    "a text holds a NUL character, which PostgreSQL cannot store; it is refused on every backend"
)
SURROGATE_REFUSED = (
    "a text holds a lone surrogate (an invalid byte, e.g. from a command line), "
    "which cannot be written as UTF-8"
)


def time_in(value: datetime) -> datetime:
    """``value`` in UTC, or :class:`UnstorableValue` for a naive or out-of-range time."""
    try:
        return check_time(value)
    except InvalidTime as exc:
        raise UnstorableValue(f"cannot store the time: {exc}") from None


def time_out(value: datetime) -> datetime:
    """A stored time in UTC; a naive one (written before times were checked) as it is."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC)


def check_text_value(value: str) -> None:
    """Refuse what one database would store and the other would not."""
    if "\x00" in value:
        raise UnstorableValue(NUL_REFUSED)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnstorableValue(SURROGATE_REFUSED) from None


def json_text(value: Any) -> str:
    """``value`` as compact JSON text, after every string in it (keys too) passed
    :func:`check_text_value`.

    Serialising first and looking at the text is what makes this cheap on every commit:
    a lone surrogate is the one thing that cannot be encoded as UTF-8, and a NUL can only
    appear as the escape ``\\u0000``; only then are the strings walked one by one.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnstorableValue(SURROGATE_REFUSED) from None
    if "\\u0000" in text:
        _walk(value)
    return text


def check_json(value: Any) -> Any:
    """``value`` itself, after every string in it (keys too) passed :func:`check_text_value`."""
    json_text(value)
    return value


def _walk(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text_value(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def check_params(params: Iterable[Any]) -> None:
    """Every text parameter of one statement (JSON ones are checked on the way in)."""
    for param in params:
        if isinstance(param, str):
            check_text_value(param)


class CheckedCursor:
    """A cursor that refuses a text parameter before the database sees it.

    A lookup by an id with a NUL would otherwise find nothing on SQLite and fail on
    PostgreSQL; through this cursor it is the same refusal on both.
    """

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._cursor.rowcount

    def execute(self, sql: Any, params: Any = None, /) -> Any:
        """Run one statement after checking its parameters."""
        if params is None:
            return self._cursor.execute(sql)
        check_params(params)
        return self._cursor.execute(sql, params)

    def executemany(self, sql: Any, params: Any, /) -> Any:
        """Run one statement for each parameter row after checking them all."""
        rows = list(params)
        for row in rows:
            check_params(row)
        return self._cursor.executemany(sql, rows)

    def fetchone(self) -> Any:
        """The next row."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class IdChecks:
    """Mixed into both backends: a case whose id :func:`~regiekaart.ids.check_id`
    refuses is never stored, whoever made the :class:`~regiekaart.runtime.case.Case`, and an
    invalid byte in its first events is the same refusal as in a later commit."""

    def create(self, case: Case) -> None:
        """Store a new case (:meth:`~regiekaart.store.protocol.CaseStore.create`)."""
        check_id("case", case.case_id)
        try:
            super().create(case)  # type: ignore[misc]
        except UnicodeEncodeError:  # the chain hash of an event, before any transaction
            raise UnstorableValue(SURROGATE_REFUSED) from None
