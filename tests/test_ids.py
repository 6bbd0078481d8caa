"""What an id, a free text and a time may be, and how stored text is shown to a person.

An id reaches a terminal, two databases and the audit trail; the rules here are why
an escape sequence cannot forge a line of output and why both stores refuse the same.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart import (
    Escalate,
    Inform,
    InvalidIdentifier,
    InvalidText,
    InvalidTime,
    Member,
    OpenCase,
    RegiekaartError,
    structure_command,
)
from regiekaart.errors import CaseNotFound
from regiekaart.ids import (
    EARLIEST,
    LATEST,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    check_id,
    check_text,
    check_time,
)
from regiekaart.terminal import ESCAPED_CATEGORIES, printable
from strategies import VALID_IDS

INVISIBLE = st.characters(categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


# -- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty"),
        ("   ", "is blank"),
        ("\u3000", "is blank"),
        (" gezin-7", "white space"),
        ("gezin-7\n", "white space"),
        ("x" * (MAX_ID_LENGTH + 1), f"at most {MAX_ID_LENGTH}"),
        ("x" * 100_000, f"at most {MAX_ID_LENGTH}"),
        ("gezin\x1b[2K\r7 ok", "control character"),
        ("gezin\x007", "control character"),
        ("gezin\x7f7", "control character"),
        ("gezin\x857", "control character"),
        ("gezin-\u202e7-nizeg", "format character"),
        ("gezin\u200b7", "format character"),
        ("gezin\ud8007", "lone surrogate"),
        ("gezin\u20287", "line separator"),
        ("gezin\u20297", "paragraph separator"),
    ],
)
def test_an_id_that_cannot_be_shown_as_itself_is_refused(value: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier, match=problem) as caught:
        check_id("case", value)
    message = str(caught.value)
    assert message.startswith("case id ")
    assert all(unicodedata.category(c) not in ESCAPED_CATEGORIES for c in message)
    assert len(message) < 200, "a long id is cut short in the message"


def test_an_id_must_be_text() -> None:
    with pytest.raises(InvalidIdentifier, match="must be text, not int"):
        check_id("member", 7)


def test_the_refusal_is_a_value_error_of_regiekaart() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        check_id("party", "")
    assert isinstance(caught.value, RegiekaartError)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.kind, caught.value.problem) == ("party", "is empty")


@pytest.mark.parametrize(
    "value", ["gezin-7", "a", "x" * MAX_ID_LENGTH, "wijk team", "Zoë", "日本-1", "a\\x1b", "🙂"]
)
def test_ordinary_ids_are_accepted_as_they_are(value: str) -> None:
    assert check_id("case", value) == value
    assert printable(value) == value


@settings(derandomize=True, deadline=None)
@given(VALID_IDS)
def test_every_accepted_id_prints_as_itself(value: str) -> None:
    assert check_id("case", value) == value
    assert printable(value) == value


@settings(derandomize=True, deadline=None)
@given(st.text(max_size=20), INVISIBLE, st.text(max_size=20))
def test_any_id_with_an_invisible_character_is_refused(before: str, char: str, after: str) -> None:
    with pytest.raises(InvalidIdentifier):
        check_id("member", f"{before}{char}{after}")


# -- free text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["", "hulpvraag\nvan de school", "van een\r\nformulier", "kolom\tkolom", "x" * MAX_TEXT_LENGTH],
)
def test_text_may_hold_newlines_and_tabs(value: str) -> None:
    assert check_text("reason", value) == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a\x00b", r"\\x00"),
        ("a\x1b[31mb", r"\\x1b"),
        ("a\x85b", r"\\x85"),
        ("a\ud800", r"\\ud800"),
        ("x" * (MAX_TEXT_LENGTH + 1), f"at most {MAX_TEXT_LENGTH}"),
    ],
)
def test_text_with_other_control_characters_is_refused(value: str, problem: str) -> None:
    with pytest.raises(InvalidText, match=problem) as caught:
        check_text("reason", value)
    assert caught.value.field == "reason"
    assert value not in str(caught.value)


@settings(derandomize=True, deadline=None)
@given(st.text(max_size=30), st.characters(categories=("Cc", "Cs")), st.text(max_size=30))
def test_any_text_with_a_control_character_is_refused(before: str, char: str, after: str) -> None:
    if char in "\n\r\t":
        return
    with pytest.raises(InvalidText):
        check_text("reason", before + char + after)


# -- commands -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Escalate(actor="", to="fase2"),
        lambda: Escalate(actor="wijkteam", to="fase2\x1b"),
        lambda: Escalate(actor="wijkteam", to="fase2", together=("ggd", " ")),
        lambda: Escalate(actor="wijkteam", to="fase2", criteria=("\u202e",)),
        lambda: Escalate(actor="wijkteam", to="fase2", holders={"regie": ["x" * 200]}),
        lambda: Escalate(actor="wijkteam", to="fase2", holders={"": ["ggd"]}),
        lambda: Escalate(actor="wijkteam", to="fase2", dominance=""),
        lambda: Member(id="kind\x001", group="jeugd"),
        lambda: Member(id="kind-1", group=""),
        lambda: OpenCase(actor="\ud800"),
        lambda: Inform(actor="wijkteam", recipient="\x07"),
    ],
)
def test_a_command_with_an_invalid_id_cannot_be_made(make: object) -> None:
    with pytest.raises(InvalidIdentifier):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Escalate(actor="wijkteam", to="fase2", reason="a\x00b"),
        lambda: Escalate(actor="wijkteam", to="fase2", reason="x" * (MAX_TEXT_LENGTH + 1)),
        lambda: Inform(actor="wijkteam", recipient="ggd", about="\x1b[2J"),
    ],
)
def test_a_command_with_invalid_text_cannot_be_made(make: object) -> None:
    with pytest.raises(InvalidText):
        make()  # type: ignore[operator]


def test_structure_command_refuses_what_the_constructor_refuses() -> None:
    with pytest.raises(InvalidIdentifier, match=r"command open: member id '': is empty"):
        structure_command({"type": "open", "actor": "a", "members": [{"id": "", "group": "g"}]})
    with pytest.raises(InvalidText, match=r"command escalate: reason: contains \\x00"):
        structure_command({"type": "escalate", "actor": "a", "to": "f", "reason": "\x00"})
    with pytest.raises(ValueError, match=r"party id 'a\\x1b\[2K'"):
        structure_command({"type": "escalate", "actor": "a\x1b[2K", "to": "f"})


def test_optional_ids_may_be_left_out() -> None:
    assert Escalate(actor="wijkteam", to="fase2", dominance=None).dominance is None


# -- times ----------------------------------------------------------------------------------


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidTime, match="no time zone"):
        check_time(datetime(2026, 1, 5, 9, 0))


def test_an_aware_time_comes_back_in_utc_as_the_same_instant() -> None:
    local = datetime(2026, 1, 5, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    utc = check_time(local)
    assert utc == local
    assert utc.utcoffset() == timedelta(0)
    assert utc.hour == 9


@pytest.mark.parametrize(
    "value",
    [
        EARLIEST - timedelta(microseconds=1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_time_outside_the_range_is_refused(value: datetime) -> None:
    with pytest.raises(InvalidTime, match="outside the range"):
        check_time(value)


@pytest.mark.parametrize("value", [EARLIEST, LATEST, datetime(2026, 1, 5, tzinfo=UTC)])
def test_the_ends_of_the_range_are_accepted(value: datetime) -> None:
    assert check_time(value) == value


def test_a_time_must_be_a_datetime() -> None:
    with pytest.raises(InvalidTime, match="expected a datetime"):
        check_time("2026-01-05")


# -- printing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("gezin\x1b[2K\r7 ok", "gezin\\x1b[2K\\r7 ok"),
        ("a\nb\tc", "a\\nb\\tc"),
        ("\u202egezin", "\\u202egezin"),
        ("\ud800", "\\ud800"),
        ("\U000e0001", "\\U000e0001"),
        ("\x85", "\\x85"),
    ],
)
def test_printable_shows_every_character_and_obeys_none(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_line_breaks_in_multiline_text() -> None:
    assert printable("eerste\nt\tweede\x1b", multiline=True) == "eerste\nt\tweede\\x1b"


@settings(derandomize=True, deadline=None)
@given(st.text())
def test_printable_output_never_holds_an_invisible_character(value: str) -> None:
    assert all(unicodedata.category(c) not in ESCAPED_CATEGORIES for c in printable(value))


def test_store_errors_show_a_case_id_escaped() -> None:
    assert str(CaseNotFound("x\x1b[2Ky")) == "case x\\x1b[2Ky: no such case in the store"


def test_store_errors_cut_an_id_no_store_accepts_short() -> None:
    message = str(CaseNotFound("x" * 100_000))
    assert len(message) < 200
    assert "(100000 characters)" in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("gezin│2│ok", "box-drawing"),
        ("blok█", "box-drawing"),
        ("cafe\u0301", "normal form NFC"),
    ],
)
def test_an_id_that_can_pass_for_another_is_refused(value: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier, match=problem):
        check_id("case", value)
    assert check_id("case", "café") == "café"


@pytest.mark.parametrize(
    "value", ["a\u034fb", "\u115f", "a\u3164b", "a\u2800b", "a\u00a0b", "a\u3000b", "a\ufe0fb"]
)
def test_an_id_with_a_character_that_shows_as_nothing_is_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match="shows as nothing or as a space"):
        check_id("case", value)
