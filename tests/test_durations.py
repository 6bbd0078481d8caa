"""Durations as a card writes them: read strictly, added on the calendar, fuzzed.

An IBS of three days, a huisverbod of ten days extendable to four weeks, an OTS of a
year: a length misread is a deadline missed, so every form the card may use is read
exactly and everything else is refused with what was wrong and how to write it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart.policy.durations import EXAMPLES, Duration, compare, parse_duration

FIXED = settings(derandomize=True, database=None, deadline=None)


@pytest.mark.parametrize(
    ("text", "months", "hours"),
    [
        ("72h", 0, 72),
        ("3d", 0, 72),
        ("10d", 0, 240),
        ("4w", 0, 672),
        ("6mo", 6, 0),
        ("1y", 12, 0),
        ("P3D", 0, 72),
        ("PT72H", 0, 72),
        ("P4W", 0, 672),
        ("P1W3D", 0, 240),
        ("P6M", 6, 0),
        ("P1Y", 12, 0),
        ("P1Y2M3DT4H", 14, 76),
        ("100y", 1200, 0),
    ],
)
def test_each_form_reads_as_its_length(text: str, months: int, hours: int) -> None:
    duration = parse_duration(text)
    assert (duration.months, duration.hours) == (months, hours)
    assert str(duration) == text  # shown as written


def test_the_same_length_written_otherwise_is_the_same_duration() -> None:
    assert parse_duration("3d") == parse_duration("72h") == parse_duration("P3D")
    assert parse_duration("1y") == parse_duration("12mo") == parse_duration("P12M")
    assert parse_duration("1y") != parse_duration("365d")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("3", "a number needs its unit"),
        ("1.5d", "whole numbers only"),
        ("1,5d", "whole numbers only"),
        ("-3d", "without a sign"),
        ("+3d", "without a sign"),
        ("3 d", "the unit is h, d, w, mo or y"),
        ("3days", "the unit is h, d, w, mo or y"),
        ("3D", "the unit is h, d, w, mo or y"),
        ("p3d", "in capitals"),
        ("P3d", "in capitals"),
        ("PT30M", "minutes and seconds"),
        ("PT1H30M", "minutes and seconds"),
        ("P1DT60S", "minutes and seconds"),
        ("0d", "no time at all"),
        ("P0D", "no time at all"),
        ("PT0H", "no time at all"),
        ("101y", "longer than 100 years"),
        ("36526d", "longer than 100 years"),
        ("1234567h", "more than 6 digits"),
        ("P", "is not a duration"),
        ("PT", "is not a duration"),
        ("P3DT", "is not a duration"),
        ("", "is not a duration"),
        ("3d ", "is not a duration"),
        ("3d\n", "is not a duration"),
        ("P3D3D", "is not a duration"),
        ("P1D1Y", "is not a duration"),
        ("٣d", "is not a duration"),  # an Arabic-Indic three: digits are ASCII
    ],
)
def test_anything_else_is_refused_saying_how_to_write_it(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_duration(text)


@pytest.mark.parametrize("value", [3, 3.5, True, None, ["3d"], {"max": "3d"}])
def test_a_duration_is_text(value: object) -> None:
    with pytest.raises(ValueError, match="duration") as raised:
        parse_duration(value)
    assert EXAMPLES in str(raised.value)


def test_a_message_quotes_only_a_short_printable_piece() -> None:
    with pytest.raises(ValueError, match="is not a duration") as raised:
        parse_duration("\x1b[2J" + "x" * 10_000)
    message = str(raised.value)
    assert "\x1b" not in message
    assert len(message) < 300


AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_hours_days_and_weeks_are_fixed_lengths() -> None:
    assert parse_duration("3d").after(AT) == AT + timedelta(days=3)
    assert parse_duration("4w").after(AT) == AT + timedelta(weeks=4)
    assert parse_duration("PT36H").after(AT) == AT + timedelta(hours=36)


@pytest.mark.parametrize(
    ("start", "text", "end"),
    [
        (datetime(2026, 3, 2, 9, tzinfo=UTC), "1y", datetime(2027, 3, 2, 9, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "1y", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), "4y", datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2025, 1, 31, tzinfo=UTC), "1mo", datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 1, 31, tzinfo=UTC), "P1M", datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2025, 11, 30, tzinfo=UTC), "3mo", datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2025, 1, 31, tzinfo=UTC), "P1M1D", datetime(2025, 3, 1, tzinfo=UTC)),
    ],
)
def test_months_and_years_are_calendar_lengths(start: datetime, text: str, end: datetime) -> None:
    assert parse_duration(text).after(start) == end


def test_an_end_past_the_year_9999_is_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError, match="9999"):
        parse_duration("1y").after(datetime(9999, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="9999"):
        parse_duration("1w").after(datetime(9999, 12, 30, tzinfo=UTC))


def test_lengths_are_compared_wherever_they_start() -> None:
    assert compare(parse_duration("10d"), parse_duration("4w")) == "shorter"
    assert compare(parse_duration("4w"), parse_duration("10d")) == "longer"
    assert compare(parse_duration("P28D"), parse_duration("4w")) == "equal"
    assert compare(parse_duration("1y"), parse_duration("52w")) == "longer"
    assert compare(parse_duration("1y"), parse_duration("367d")) == "shorter"
    # A month is 28 to 31 days, a year 365 or 366: it depends on where they start.
    assert compare(parse_duration("P1M"), parse_duration("30d")) is None
    assert compare(parse_duration("1y"), parse_duration("365d")) is None


# -- fuzz ----------------------------------------------------------------------------------------


@FIXED
@given(st.text(max_size=40))
def test_any_text_is_a_duration_or_a_value_error(text: str) -> None:
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        message = str(exc)
    else:
        assert duration.months or duration.hours
        assert parse_duration(duration.iso()) == duration
        return
    assert message


@FIXED
@given(st.text(alphabet="0123456789PTYMWDHSmohdwy.+- ", max_size=16))
def test_text_made_of_a_duration_s_letters_reads_or_is_refused(text: str) -> None:
    try:
        duration = parse_duration(text)
    except ValueError:
        return
    assert parse_duration(duration.iso()) == duration
    assert duration.after(AT) > AT


@FIXED
@given(
    st.integers(0, 100), st.integers(0, 11), st.integers(0, 52), st.integers(0, 6),
    st.integers(0, 23),
)  # fmt: skip
def test_every_iso_duration_of_whole_parts_reads_as_its_parts(
    years: int, months: int, weeks: int, days: int, hours: int
) -> None:
    text = "P" + "".join(
        f"{n}{unit}" for n, unit in ((years, "Y"), (months, "M"), (weeks, "W"), (days, "D")) if n
    )
    text += f"T{hours}H" if hours else ""
    expected = Duration(months=years * 12 + months, hours=(weeks * 7 + days) * 24 + hours)
    if expected == Duration() or expected.after(datetime(2000, 1, 1, tzinfo=UTC)) > datetime(
        2100, 1, 1, tzinfo=UTC
    ):
        with pytest.raises(ValueError, match=r"is not a duration|no time at all|longer than 100"):
            parse_duration(text)
        return
    assert parse_duration(text) == expected
    assert parse_duration(expected.iso()) == expected


@FIXED
@given(st.integers(1, 999_999), st.sampled_from(["h", "d", "w", "mo", "y"]))
def test_a_number_and_a_unit_read_as_that_many_units_or_are_too_long(
    number: int, unit: str
) -> None:
    text = f"{number}{unit}"
    hours = {"h": 1, "d": 24, "w": 168}.get(unit)
    months = {"mo": 1, "y": 12}.get(unit)
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        message = str(exc)
    else:
        assert (duration.hours, duration.months) == ((hours or 0) * number, (months or 0) * number)
        return
    assert "longer than 100 years" in message
    assert (hours or 0) * number > 100 * 365 * 24 or (months or 0) * number > 1200
