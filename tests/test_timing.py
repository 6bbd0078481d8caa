"""Time limits on the card: a measure's term and its extension, a state's longest stay,
a duty's deadline — read into the model, and every mistake told at its line.

The Wvggz crisismaatregel lasts at most three days, a huisverbod ten days, extendable
by the burgemeester to four weeks, an OTS at most a year at a time (BW art. 1:258): a
card says so in ``duration:`` and ``deadline:`` keys of format version 2.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from case_stories import MACHINES
from regiekaart import PolicyError, load_policy, policy_schema
from regiekaart.policy.durations import parse_duration

CARDS = Path(__file__).resolve().parent / "cards"


def card(tmp_path: Path, body: str, *, version: int = 2) -> Path:
    """A card that extends the universal card with ``body`` (YAML) on top."""
    path = tmp_path / "kaart.yaml"
    head = f"regiekaart: {version}\nid: kaart\ntitle: Kaart\nextends: universeel\n"
    path.write_text(head + textwrap.dedent(body), "utf-8")
    return path


def problems(path: Path) -> list[PolicyError]:
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    return list(getattr(raised.value, "errors", ())) or [raised.value]


def test_the_shipped_ots_lasts_a_year_and_is_extended_a_year_at_a_time() -> None:
    ots = load_policy(MACHINES / "universeel.yaml").measures["ots"]
    assert ots.duration is not None
    assert ots.duration.max == parse_duration("1y")
    assert ots.duration.extend is not None
    assert ots.duration.extend.by == parse_duration("1y")
    assert ots.duration.extend.up_to is None  # as often as the kinderrechter decides
    assert ots.duration.extend.by_parties == ()  # who imposes it: the kinderrechter
    assert "1:258" in ots.duration.source


def test_a_card_reads_terms_stays_and_deadlines() -> None:
    policy = load_policy(CARDS / "termijnen.yaml")
    ots = policy.measures["ots"].duration
    assert ots is not None
    assert ots.extend is not None
    assert (ots.max, ots.extend.by, ots.extend.up_to) == tuple(
        parse_duration(t) for t in ("2w", "2w", "6w")
    )
    assert ots.extend.by_parties == ("kinderrechter",)
    rm = policy.measures["rm"].duration
    assert rm is not None
    assert rm.max.months == 1
    assert policy.measures["voogdij"].duration is None
    stay = policy.states["fase3"].duration
    assert stay is not None
    assert (stay.max, stay.on_expiry) == (parse_duration("8w"), "afschalen-3-2")
    assert policy.states["fase2"].duration is None
    assert policy.obligations["burgemeester-bij-fase4"].deadline == parse_duration("1d")
    assert policy.obligations["oov-en-wethouder-informeren"].deadline is None


def test_a_sub_state_may_have_a_longest_stay(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        """
        phases:
          fase2:
            substates:
              states:
                gedwongen:
                  duration: {max: 10d, on_expiry: afschalen-2-1}
        """,
    )
    stay = load_policy(path).states["fase2.gedwongen"].duration
    assert stay is not None
    assert stay.max == parse_duration("10d")


def test_a_duration_that_does_not_read_is_told_at_its_line_and_key(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        """
        measures:
          options:
            ibs:
              duration: {max: 3 dagen}
            ots:
              duration:
                max: 1y
                extend: {by: 1.5y}
        obligations:
          burgemeester-bij-fase4:
            deadline: PT30M
        """,
    )
    found = {p.path: p for p in problems(path)}
    assert set(found) == {
        "measures.options.ibs.duration.max",
        "measures.options.ots.duration.extend.by",
        "obligations.burgemeester-bij-fase4.deadline",
    }
    assert found["measures.options.ibs.duration.max"].line == 9
    assert found["measures.options.ibs.duration.max"].file == str(path)
    assert "is not a duration" in found["measures.options.ibs.duration.max"].message
    assert "whole numbers only" in found["measures.options.ots.duration.extend.by"].message
    assert found["measures.options.ots.duration.extend.by"].line == 13
    assert found["obligations.burgemeester-bij-fase4.deadline"].line == 16
    assert "minutes" in found["obligations.burgemeester-bij-fase4.deadline"].message


def test_a_version_1_card_may_not_use_time_limits(tmp_path: Path) -> None:
    path = tmp_path / "oud.yaml"
    text = (
        (MACHINES / "universeel.yaml")
        .read_text("utf-8")
        .replace("\nregiekaart: 2\n", "\nregiekaart: 1\n")
    )
    path.write_text(text, "utf-8")
    (error,) = problems(path)
    assert error.path == "measures.options.ots.duration"
    assert error.file == str(path)
    assert error.line == text.splitlines().index("      duration:") + 1
    assert "need regiekaart: 2 or later" in error.message
    assert "regiekaart: 1" in error.message


def test_each_time_key_of_a_version_1_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "basis.yaml").write_text(
        (MACHINES / "universeel.yaml")
        .read_text("utf-8")
        .replace("      duration:\n        max: 1y\n", "      duration:\n        max: 2y\n"),
        "utf-8",
    )
    path = tmp_path / "kaart.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            regiekaart: 1
            id: kaart
            title: Kaart
            extends: basis.yaml
            phases:
              fase3:
                duration: {max: 8w}
            obligations:
              burgemeester-bij-fase4:
                deadline: 1d
            """
        ),
        "utf-8",
    )
    found = {(p.file, p.path, p.line) for p in problems(path)}
    # Only the version-1 file is refused; the version-2 card it extends may use them.
    assert found == {
        (str(path), "phases.fase3.duration", 7),
        (str(path), "obligations.burgemeester-bij-fase4.deadline", 10),
    }


@pytest.mark.parametrize(
    ("body", "path", "said"),
    [
        (
            "measures: {options: {ibs: {duration: {max: 3d, extend: {by_parties: [rechter]}}}}}",
            "measures.options.ibs.duration.extend",
            "by, up_to, or both",
        ),
        (
            "measures: {options: {ibs: {duration: {max: 10d, extend: {up_to: 1w}}}}}",
            "measures.options.ibs.duration.extend.up_to",
            "must be longer than max 10d",
        ),
        (
            "measures: {options: {ibs: {duration: {max: 10d, extend: {up_to: 240h}}}}}",
            "measures.options.ibs.duration.extend.up_to",
            "must be longer than max",
        ),
        (
            "measures: {options: {ibs: {duration: {max: 30d, extend: {up_to: 1mo}}}}}",
            "measures.options.ibs.duration.extend.up_to",
            "depends on the date",
        ),
        (
            "measures: {options: {ibs: {duration: {max: 3d, extend: {by: 1d, by_parties: [x]}}}}}",
            "measures.options.ibs.duration.extend.by_parties[0]",
            "unknown party 'x'",
        ),
        (
            "phases: {fase3: {duration: {max: 8w, on_expiry: bestaat-niet}}}",
            "phases.fase3.duration.on_expiry",
            "unknown rule 'bestaat-niet'",
        ),
        (
            "phases: {fase3: {duration: {max: 8w, on_expiry: afschalen-2-1}}}",
            "phases.fase3.duration.on_expiry",
            "is taken from fase2, not from fase3",
        ),
        (
            "obligations: {casusregisseurs-kennen-elkaar: {deadline: 1d}}",
            "obligations.casusregisseurs-kennen-elkaar.deadline",
            "mode: record",
        ),
    ],
)
def test_a_time_limit_that_contradicts_itself_or_the_card_is_told_where(
    tmp_path: Path, body: str, path: str, said: str
) -> None:
    (error,) = problems(card(tmp_path, body))
    assert error.path == path
    assert said in error.message
    assert error.line == 5


@pytest.mark.parametrize(
    "body",
    [
        "measures: {options: {ibs: {duration: {extend: {by: 1d}}}}}",  # no max
        "measures: {options: {ibs: {duration: {max: 3d, until: 1w}}}}",  # unknown key
        "measures: {options: {ibs: {duration: {max: 3d, on_expiry: afschalen-3-2}}}}",
        "measures: {options: {ibs: {duration: {max: 3d, extend: {}}}}}",
        "phases: {fase3: {duration: {max: 8w, extend: {by: 1w}}}}",
        "phases: {fase3: {duration: 8w}}",
        "final: {afgesloten: {duration: {max: 1w}}}",
        "obligations: {burgemeester-bij-fase4: {deadline: {max: 1d}}}",
        "obligations: {burgemeester-bij-fase4: {deadline: 24}}",
        f"obligations: {{burgemeester-bij-fase4: {{deadline: {'9' * 60}d}}}}",
    ],
)
def test_the_schema_refuses_a_time_limit_of_the_wrong_shape(tmp_path: Path, body: str) -> None:
    found = problems(card(tmp_path, body))
    assert found
    assert all(p.line is not None and p.file for p in found)


def test_the_schema_describes_every_time_key() -> None:
    schema = policy_schema()
    defs = schema["$defs"]
    assert set(defs["measureDuration"]["properties"]) == {"max", "extend", "description", "source"}
    assert set(defs["measureDuration"]["properties"]["extend"]["properties"]) == {
        "by",
        "up_to",
        "by_parties",
        "source",
    }
    assert set(defs["stateDuration"]["properties"]) == {"max", "on_expiry", "description", "source"}
    obligation = schema["properties"]["obligations"]["additionalProperties"]["oneOf"][0]
    assert obligation["properties"]["deadline"]["$ref"] == "#/$defs/duration"


def test_a_time_limit_changes_the_card_s_digest(tmp_path: Path) -> None:
    plain = load_policy(card(tmp_path, "description: x\n"))
    timed = load_policy(card(tmp_path, "phases: {fase3: {duration: {max: 8w}}}\n"))
    assert plain.digest != timed.digest


def test_the_example_of_the_format_document_is_a_card(tmp_path: Path) -> None:
    text = (MACHINES.parent / "docs" / "policy-format.md").read_text("utf-8")
    found = re.search(r"```yaml\n(# file: termijnen\.yaml[^\n]*\n.*?)```", text, re.S)
    assert found is not None
    path = tmp_path / "termijnen.yaml"
    path.write_text(found.group(1), "utf-8")
    policy = load_policy(path)
    huisverbod = policy.measures["huisverbod"].duration
    assert huisverbod is not None
    assert huisverbod.extend is not None
    assert (huisverbod.max, huisverbod.extend.up_to) == (
        parse_duration("10d"),
        parse_duration("4w"),
    )
    assert policy.states["fase3"].duration is not None
