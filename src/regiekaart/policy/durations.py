"""Lengths of time as a card writes them: ``72h``, ``3d``, ``4w``, ``6mo``, ``1y`` or ISO 8601.

A card says how long a measure or a state may last and how soon a duty must be done.
The text is read strictly, because a misread length is a deadline missed: a whole
number and one unit, or an ISO 8601 duration (``PT72H``, ``P3D``, ``P4W``, ``P1Y2M``);
nothing finer than an hour, no fractions, no signs, nothing of zero length and nothing
longer than a hundred years. Hours, days and weeks are fixed lengths (a day is 24
hours); months and years are calendar lengths, so a year from 29 February ends on 28
February and a month from 31 January on the last day of February.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Literal

import attrs
from attrs import frozen

__all__ = [
    "EXAMPLES",
    "LONGEST_YEARS",
    "Duration",
    "compare",
    "parse_duration",
]

EXAMPLES = "72h, 3d, 4w, 6mo or 1y, or in ISO 8601 as PT72H, P3D, P4W, P6M or P1Y"
"""How a duration is written, for messages."""

LONGEST_YEARS = 100
"""No duration a card or a command writes is longer than this many years."""

_DIGITS = 6
"""At most this many digits in one number: a longer one is a typing error, and a
thousand-digit number must not reach ``int``."""

_SHORT = re.compile(r"([0-9]+)(h|d|w|mo|y)")
_ISO = re.compile(
    r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?"
    r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?"
)
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


@frozen
class Duration:
    """A length of time: calendar months and fixed hours, added in that order.

    Two durations are equal when they last alike wherever they start (``3d`` and
    ``72h`` and ``P3D``); ``text`` keeps how it was written, for messages and renderings.
    """

    months: int = 0
    hours: int = 0
    text: str = attrs.field(default="", eq=False)

    def after(self, moment: datetime) -> datetime:
        """The moment this long after ``moment``; ``ValueError`` past the year 9999."""
        try:
            return _add_months(moment, self.months) + timedelta(hours=self.hours)
        except OverflowError:
            raise ValueError("the end would lie beyond the year 9999") from None

    def iso(self) -> str:
        """The duration in ISO 8601 (``P1Y2M3DT4H``), weeks written as days."""
        years, months = divmod(self.months, 12)
        days, hours = divmod(self.hours, 24)
        date = "".join(f"{n}{u}" for n, u in ((years, "Y"), (months, "M"), (days, "D")) if n)
        return "P" + date + (f"T{hours}H" if hours else "")

    def __str__(self) -> str:
        return self.text or self.iso()


def parse_duration(text: object) -> Duration:
    """The duration ``text`` writes, or ``ValueError`` saying what is wrong and how to
    write it (never quoting more than a short piece of it)."""
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise ValueError(
                f"{text!r} is a number, not a duration; write it with its unit: {EXAMPLES}"
            )
        raise ValueError(f"a duration is text: {EXAMPLES}")
    shown = _shown(text)
    short = _SHORT.fullmatch(text)
    if short is not None:
        number, unit = short.groups()
        value = _number(number, shown)
        if unit in _HOURS:
            return _checked(Duration(hours=value * _HOURS[unit], text=text), shown)
        return _checked(Duration(months=value * (12 if unit == "y" else 1), text=text), shown)
    iso = _ISO.fullmatch(text)
    if iso is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{shown} is not a duration; {_hint(text)}write {EXAMPLES}")
    years, months, weeks, days, hours, minutes, seconds = (
        _number(part, shown) if part is not None else 0 for part in iso.groups()
    )
    if minutes or seconds:
        raise ValueError(
            f"{shown}: minutes and seconds are finer than a card counts; write whole hours"
        )
    total = Duration(months=years * 12 + months, hours=(weeks * 7 + days) * 24 + hours, text=text)
    return _checked(total, shown)


def compare(a: Duration, b: Duration) -> Literal["shorter", "equal", "longer"] | None:
    """Whether ``a`` is shorter than, as long as or longer than ``b`` wherever both
    start; ``None`` when that depends on the start (``P1M`` against ``30d``)."""
    if a.months == b.months:
        return "shorter" if a.hours < b.hours else "longer" if a.hours > b.hours else "equal"
    found = {_order(a.after(start), b.after(start)) for start in _STARTS}
    return found.pop() if len(found) == 1 else None


def _order(a: datetime, b: datetime) -> Literal["shorter", "equal", "longer"]:
    return "shorter" if a < b else "longer" if a > b else "equal"


_STARTS = tuple(
    datetime(year, month, day, tzinfo=UTC)
    for year in (2023, 2024, 2025, 2026)
    for month in range(1, 13)
    for day in (1, 28, calendar.monthrange(year, month)[1])
)
"""Starts that show every way months differ in length: the first, the 28th and the last
day of every month over four years, one of them a leap year."""


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved ``months`` calendar months on; a day the month lacks becomes its
    last day."""
    if not months:
        return moment
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    if year > 9999:
        raise OverflowError("year")
    return moment.replace(year=year, month=month, day=min(moment.day, _last_day(year, month)))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _number(digits: str, shown: str) -> int:
    if len(digits) > _DIGITS:
        raise ValueError(f"{shown}: a number of more than {_DIGITS} digits is no duration")
    return int(digits)


def _checked(duration: Duration, shown: str) -> Duration:
    if not duration.months and not duration.hours:
        raise ValueError(f"{shown} lasts no time at all; a duration is at least an hour")
    start = datetime(2000, 1, 1, tzinfo=UTC)
    too_long = duration.months > LONGEST_YEARS * 12 or duration.hours > LONGEST_YEARS * 366 * 24
    if too_long or duration.after(start) > start.replace(year=2000 + LONGEST_YEARS):
        raise ValueError(f"{shown} is longer than {LONGEST_YEARS} years")
    return duration


def _hint(text: str) -> str:
    """What a near miss should have been, when it is plain."""
    if re.fullmatch(r"[0-9]+", text):
        return "a number needs its unit: "
    if re.search(r"[0-9][.,][0-9]", text):
        return "whole numbers only (36h rather than 1.5d): "
    if text[:1] in "+-":
        return "without a sign: "
    if re.fullmatch(r"[0-9]+ *[a-zA-Z]+", text):
        return "the unit is h, d, w, mo or y, right after the number: "
    if text[:1] == "p" or (text[:1] == "P" and text != text.upper()):
        return "ISO 8601 durations are in capitals: "
    return ""


def _shown(text: str) -> str:
    """``text`` as a message may quote it: short, and only its printable characters."""
    cut = "".join(ch if ch.isprintable() else "?" for ch in text[:24])
    return repr(cut + ("..." if len(text) > 24 else ""))
