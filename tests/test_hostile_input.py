"""Input from people regiekaart cannot vouch for: files stay where they belong, work is
bounded, and every bad input is a regiekaart error that quotes nothing it should not.

Each test pins one thing an attacker tried (issue "Trust"): a scenario's ``policy:`` or
a card's ``extends:`` pointing at a secret, an alias bomb, a 50 MB card, a 100,000-step
story, a latin-1 or UTF-16 file, a NUL byte, deep nesting, a recursive alias.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from case_stories import MACHINES
from regiekaart import (
    InputRefused,
    LimitExceeded,
    Limits,
    PolicyError,
    load_policy,
    load_policy_document,
    parse_commands,
)
from regiekaart.policy.roots import PATH_ENV, find_card, shipped_machines
from regiekaart.runtime.commands import Escalate, json_depth
from regiekaart.scenario import is_scenario_file, load_scenario, validate_scenario
from regiekaart.simulate.attempts import load_population

UNIVERSEEL = MACHINES / "universeel.yaml"
SIMULATION = MACHINES.parent / "examples" / "simulations" / "west-brabant.yaml"
TOKEN = "ZEER-GEHEIM-7f3a9c"
"""A word that appears only in the secret file: no message may ever contain it."""

STORY = "case: c\nsteps:\n  - signal: {actor: wijkteam}\n"


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """A bound on how long refusing takes: a check that it ends, not a benchmark."""
    began = time.monotonic()
    yield
    assert time.monotonic() - began < seconds


def refused(call: object, *args: object, **kwargs: object) -> PolicyError:
    assert callable(call)
    with within(5), pytest.raises(PolicyError) as raised:
        call(*args, **kwargs)
    assert TOKEN not in str(raised.value)
    return raised.value


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every allowed tree, like /etc/shadow, as a .yaml and without."""
    outside = tmp_path / "elders"
    outside.mkdir()
    for name in ("shadow", "shadow.yaml", "outside.yaml"):
        (outside / name).write_text(f"root:{TOKEN}:19000:0:99999:7:::\n", encoding="utf-8")
    return outside


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The directory the naming files live in."""
    path = tmp_path / "kaarten"
    path.mkdir()
    return path


def card(path: Path, extends: str, body: str = "") -> Path:
    path.write_text(
        f"regiekaart: 1\nid: lokaal\ntitle: Lokaal\nextends: {extends}\n{body}", encoding="utf-8"
    )
    return path


def valid_local_card(path: Path) -> Path:
    """A complete card (no extends) that lies wherever ``path`` is."""
    path.write_text(UNIVERSEEL.read_text(encoding="utf-8"), encoding="utf-8")
    return path


# -- files stay where they belong ---------------------------------------------------------


def test_the_shipped_machines_directory_is_found() -> None:
    assert shipped_machines() == MACHINES.resolve()


def test_extends_up_and_out_of_the_tree_is_refused_without_reading(
    home: Path, secret: Path
) -> None:
    error = refused(load_policy, card(home / "a.yaml", "../elders/outside.yaml"))
    assert isinstance(error, InputRefused)
    assert (error.line, error.path) == (4, "extends")
    assert "lies outside the directories cards are read from" in error.message
    assert "--path" in error.message
    assert PATH_ENV in error.message


def test_a_refused_target_is_never_opened(home: Path, tmp_path: Path) -> None:
    """A FIFO blocks whoever opens it: refusing fast proves it was not opened."""
    os.mkfifo(tmp_path / "trap.yaml")
    error = refused(load_policy, card(home / "a.yaml", "../trap.yaml"))
    assert "lies outside" in error.message


def test_an_absolute_extends_outside_is_refused(home: Path, secret: Path) -> None:
    error = refused(load_policy, card(home / "a.yaml", str(secret / "shadow.yaml")))
    assert "lies outside" in error.message


def test_a_symlink_that_leads_out_is_refused(home: Path, secret: Path) -> None:
    (home / "basis.yaml").symlink_to(secret / "outside.yaml")
    error = refused(load_policy, card(home / "a.yaml", "basis.yaml"))
    assert "'basis.yaml' lies outside" in error.message


def test_a_symlinked_directory_that_leads_out_is_refused(home: Path, secret: Path) -> None:
    (home / "gedeeld").symlink_to(secret)
    error = refused(load_policy, card(home / "a.yaml", "gedeeld/outside.yaml"))
    assert "lies outside" in error.message


def test_a_card_below_the_naming_file_and_in_machines_is_followed(home: Path) -> None:
    (home / "basis").mkdir()
    valid_local_card(home / "basis" / "kaart.yaml")
    assert load_policy(card(home / "a.yaml", "basis/kaart.yaml")).extends == ("universeel",)
    assert load_policy(card(home / "b.yaml", str(UNIVERSEEL))).extends == ("universeel",)


def test_a_bare_id_is_looked_up_on_the_search_path_and_in_machines(home: Path) -> None:
    assert load_policy(card(home / "a.yaml", "universeel")).extends == ("universeel",)


def test_the_search_path_and_the_environment_let_a_trusted_directory_in(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "gedeeld"
    shared.mkdir()
    valid_local_card(shared / "basis.yaml")
    local = card(home / "a.yaml", "../gedeeld/basis.yaml")
    refused(load_policy, local)
    assert load_policy(local, search_path=[shared]).extends == ("universeel",)
    by_id = card(home / "b.yaml", "basis")
    assert load_policy(by_id, search_path=[shared]).extends == ("universeel",)
    monkeypatch.setenv(PATH_ENV, os.pathsep.join(["", str(tmp_path / "niets"), str(shared)]))
    assert load_policy(local).extends == ("universeel",)


def test_a_trusted_file_that_is_not_a_card_is_still_not_quoted(home: Path, secret: Path) -> None:
    error = refused(
        load_policy, card(home / "a.yaml", "../elders/outside.yaml"), search_path=[secret]
    )
    assert "not a regiekaart card" in error.message


def test_a_scenario_policy_outside_is_refused_with_file_and_line(home: Path, secret: Path) -> None:
    for ref in ("../elders/shadow", str(secret / "shadow"), str(secret / "shadow.yaml")):
        story = home / "verhaal.yaml"
        story.write_text(f"title: t\npolicy: {ref}\n{STORY}", encoding="utf-8")
        scenario = load_scenario(story)
        assert scenario.policy is None
        error = refused(validate_scenario, story)
        assert (error.file, error.line, error.path) == (str(story), 2, "policy")
        assert "lies outside" in error.message
        # A policy given by the caller replaces the one the story names.
        assert validate_scenario(story, UNIVERSEEL)[1].id == "universeel"


def test_a_scenario_policy_by_id_is_found_in_machines(home: Path) -> None:
    story = home / "verhaal.yaml"
    story.write_text(f"policy: universeel\n{STORY}", encoding="utf-8")
    assert validate_scenario(story)[1].id == "universeel"


def test_a_simulation_policy_outside_is_refused(home: Path, secret: Path) -> None:
    text = SIMULATION.read_text(encoding="utf-8").replace(
        "policy: ../../machines/west-brabant.yaml", f"policy: {secret / 'shadow'}"
    )
    assert f"policy: {secret / 'shadow'}" in text
    path = home / "sim.yaml"
    path.write_text(text, encoding="utf-8")
    error = refused(load_population, path)
    assert error.path == "policy"
    assert "lies outside" in error.message


def test_a_file_that_is_not_a_card_is_named_not_listed(secret: Path) -> None:
    for path in (secret / "shadow", secret / "shadow.yaml"):
        error = refused(load_policy, path)
        assert "not a regiekaart card" in error.message
    mapping = secret / "config.yaml"
    mapping.write_text(f"user: {TOKEN}\nuser: {TOKEN}\npassword: [{TOKEN}]\n", encoding="utf-8")
    assert "not a regiekaart card" in refused(load_policy, mapping).message
    assert "not a regiekaart scenario" in refused(load_scenario, mapping).message
    assert "not a regiekaart simulation" in refused(load_population, mapping).message


def test_a_yaml_syntax_error_shows_line_and_column_never_the_line_itself(tmp_path: Path) -> None:
    for text in (
        f"regiekaart: 1\nid: [{TOKEN}\n",
        f"a: *{TOKEN}\n",
        f"a: !{TOKEN} x\n",
        f"a: 1\n  {TOKEN}: [\n",
        f'{TOKEN}: "\\q"\n',
    ):
        path = tmp_path / "kapot.yaml"
        path.write_text(text, encoding="utf-8")
        error = refused(load_policy, path)
        assert error.line is not None
        assert f"line {error.line}, column" in error.message or "YAML" not in error.message


# -- bounded work --------------------------------------------------------------------------


def alias_bomb() -> str:
    """The classic "billion laughs": 9 levels of 9 aliases in a few hundred bytes."""
    text = "regiekaart: 1\nid: x\ntitle: x\na: &a [" + ",".join(['"lol"'] * 9) + "]\n"
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        previous = name
    return text


def test_an_alias_bomb_is_refused_while_it_is_composed(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    with within(1), pytest.raises(LimitExceeded) as raised:
        load_policy(path)
    assert raised.value.limit == "max_yaml_nodes"
    assert "REGIEKAART_MAX_YAML_NODES" in raised.value.message


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliassen.yaml"
    path.write_text("a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n", encoding="utf-8")
    assert refused(load_policy, path).limit == "max_yaml_aliases"  # type: ignore[attr-defined]
    assert isinstance(
        refused(load_policy, path, limits=Limits(max_yaml_aliases=100)), LimitExceeded
    )
    with pytest.raises(PolicyError, match="not a regiekaart card"):
        load_policy(path, limits=Limits(max_yaml_aliases=200))


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a\n  b:\n    c: *a\n"])
def test_a_recursive_alias_is_an_error_not_a_recursion_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rond.yaml"
    path.write_text(text, encoding="utf-8")
    error = refused(load_policy, path)
    assert "recursive alias" in error.message
    assert error.line is not None


@pytest.mark.parametrize(
    "text",
    [
        "regiekaart: 1\nid: " + "[" * 100_000,
        "regiekaart: 1\nid: " + "{a: " * 100_000,
        "regiekaart: 1\nid:\n" + "".join(" " * depth + "- \n" for depth in range(1, 200)),
    ],
    ids=["flow-list", "flow-map", "block"],
)
def test_deep_nesting_is_refused_at_the_depth_limit(tmp_path: Path, text: str) -> None:
    path = tmp_path / "diep.yaml"
    path.write_text(text, encoding="utf-8")
    error = refused(load_policy, path)
    assert isinstance(error, LimitExceeded)
    assert error.limit == "max_depth"
    assert error.line is not None


def test_a_50_megabyte_card_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "groot.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("regiekaart: 1\nid: x\ntitle: x\ndescription: |\n")
        line = "  " + "x" * 98 + "\n"
        for _ in range(500):
            out.write(line * 1000)
    assert path.stat().st_size > 50_000_000
    error = refused(load_policy, path)
    assert isinstance(error, LimitExceeded)
    assert error.limit == "max_card_bytes"
    assert "REGIEKAART_MAX_CARD_BYTES" in error.message


def test_dev_zero_a_directory_and_a_fifo_are_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pijp.yaml")
    assert "not a regular file" in refused(load_policy, Path("/dev/zero")).message
    assert "not a regular file" in refused(load_policy, tmp_path / "pijp.yaml").message
    assert "is a directory" in refused(load_policy, tmp_path).message
    assert "not a regular file" in refused(load_scenario, Path("/dev/zero")).message
    assert not is_scenario_file(Path("/dev/zero"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_that_may_not_be_read_is_named(tmp_path: Path) -> None:
    path = valid_local_card(tmp_path / "dicht.yaml")
    path.chmod(0)
    assert "cannot read the file" in refused(load_policy, path).message


def test_a_scenario_of_100000_steps_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "lang.yaml"
    path.write_text("case: c\nsteps:\n" + "- signal: {actor: wijkteam}\n" * 100_000, "utf-8")
    error = refused(load_scenario, path)
    assert isinstance(error, LimitExceeded)
    assert error.limit == "max_scenario_bytes"
    error = refused(load_scenario, path, limits=Limits(max_scenario_bytes=10_000_000))
    assert isinstance(error, LimitExceeded)
    assert error.limit in ("max_scenario_steps", "max_yaml_nodes")


def test_the_step_limit_is_named_with_the_steps_line(tmp_path: Path) -> None:
    path = tmp_path / "lang.yaml"
    path.write_text("case: c\nsteps:\n" + "- signal: {actor: wijkteam}\n" * 30, "utf-8")
    error = refused(load_scenario, path, limits=Limits(max_scenario_steps=20))
    assert (error.line, getattr(error, "limit", None)) == (2, "max_scenario_steps")
    assert "30 steps" in error.message
    assert len(load_scenario(path, limits=Limits(max_scenario_steps=30)).steps) == 30


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIEKAART_MAX_FILE_BYTES", "1000")
    monkeypatch.setenv("REGIEKAART_MAX_SCENARIO_BYTES", "2_000")
    monkeypatch.setenv("REGIEKAART_MAX_DEPTH", "10")
    limits = Limits.from_env()
    assert (limits.max_card_bytes, limits.max_scenario_bytes) == (1000, 2000)
    assert (limits.max_simulation_bytes, limits.max_depth) == (1000, 10)
    assert limits.max_command_bytes == Limits().max_command_bytes
    error = refused(load_policy, UNIVERSEEL)
    assert getattr(error, "limit", None) == "max_card_bytes"
    monkeypatch.setenv("REGIEKAART_MAX_DEPTH", "veel")
    with pytest.raises(InputRefused, match="REGIEKAART_MAX_DEPTH='veel'"):
        Limits.from_env()


# -- text that is not UTF-8 ----------------------------------------------------------------


def encoded(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "kaart.yaml"
    path.write_bytes(data)
    return path


def test_latin1_is_named_with_the_byte_and_line(tmp_path: Path) -> None:
    data = "regiekaart: 1\nid: x\ntitle: Caf\u00e9\n".encode("latin-1")
    error = refused(load_policy, encoded(tmp_path, data))
    assert error.message.startswith("not UTF-8 text (byte 0xE9 at line 3)")
    assert error.line == 3


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_a_bom_is_refused(tmp_path: Path, encoding: str) -> None:
    data = UNIVERSEEL.read_text(encoding="utf-8").encode(encoding)
    error = refused(load_policy, encoded(tmp_path, data))
    assert "UTF-8" in error.message
    assert error.line is not None


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + UNIVERSEEL.read_bytes()
    assert load_policy(encoded(tmp_path, data)).id == "universeel"
    error = refused(load_policy, encoded(tmp_path, b"\xef\xbb\xbfregiekaart: 1\nid: \xff\n"))
    assert "byte 0xFF at line 2" in error.message


@pytest.mark.parametrize(
    ("char", "what"), [("\x00", "NUL"), ("\x07", "#x0007"), ("\x1b", "#x001b")]
)
def test_a_nul_and_other_forbidden_characters_are_named_by_line(
    tmp_path: Path, char: str, what: str
) -> None:
    data = f"regiekaart: 1\nid: x\ntitle: {TOKEN}{char}{TOKEN}\n".encode()
    error = refused(load_policy, encoded(tmp_path, data))
    assert what in error.message
    assert error.line == 3


# -- rebuilding a card from its document ---------------------------------------------------


@pytest.mark.parametrize("name", ["universeel", "west-brabant"])
def test_a_card_rebuilt_from_its_document_is_the_same_card(name: str) -> None:
    policy = load_policy(MACHINES / f"{name}.yaml")
    rebuilt = load_policy_document(json.loads(policy.document), name="x")
    assert rebuilt.digest == policy.digest
    assert rebuilt.document == policy.document
    for field in ("parties", "roles", "states", "transitions", "criteria", "measures"):
        assert getattr(rebuilt, field) == getattr(policy, field), field
    assert list(rebuilt.transitions) == list(policy.transitions)
    assert (rebuilt.obligations, rebuilt.invariants) == (policy.obligations, policy.invariants)


def test_a_document_is_checked_like_a_file_and_may_not_extend() -> None:
    document = json.loads(load_policy(UNIVERSEEL).document)
    document["transitions"]["opschalen-1-2"]["deciders"] = ["niemand"]
    with pytest.raises(PolicyError, match="unknown party 'niemand'") as raised:
        load_policy_document(document, name="opgeslagen")
    assert raised.value.file == "opgeslagen"
    with pytest.raises(PolicyError, match="cannot extend"):
        load_policy_document({**document, "extends": "universeel"}, name="opgeslagen")


# -- commands as text ----------------------------------------------------------------------


ESCALATE = {"type": "escalate", "actor": "wijkteam", "to": "fase2"}


def test_commands_are_parsed_from_text_and_bytes() -> None:
    [one] = parse_commands(json.dumps(ESCALATE))
    assert isinstance(one, Escalate)
    assert len(parse_commands(json.dumps([ESCALATE, ESCALATE]).encode())) == 2
    assert parse_commands(b"\xef\xbb\xbf" + json.dumps(ESCALATE).encode())[0] == one


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' * 100_000, "nested too deeply"),
        ("{", "the command is not JSON"),
        ("[]", "no command given"),
        ("[1]", "command 1: expected a JSON object"),
        ("9" * 5000, "not usable JSON"),
        ('{"type": "escalate", "actor": "x", "to": "f", "holders": 5}', "command escalate"),
        ('{"type": "nergens"}', "unknown command type"),
    ],
)
def test_bad_command_text_is_a_policy_error(text: str, said: str) -> None:
    with within(2), pytest.raises(PolicyError, match=said) as raised:
        parse_commands(text, source="cmd.json")
    assert raised.value.file == "cmd.json"


def test_command_size_and_encoding_are_checked() -> None:
    big = json.dumps({**ESCALATE, "reason": "x" * 2000})
    with pytest.raises(LimitExceeded, match="max_command_bytes"):
        parse_commands(big, limits=Limits(max_command_bytes=1000))
    with pytest.raises(InputRefused, match="not UTF-8"):
        parse_commands('{"type": "escalate", "actor": "caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(InputRefused, match="NUL"):
        parse_commands('{"type": "escalate"}'.encode("utf-16-le"))


def test_the_depth_scan_skips_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth("[]") == 1
    assert json_depth('"[[["') == 0


# -- found by fuzzing ----------------------------------------------------------------------


def test_a_null_entry_in_a_card_that_extends_none_removes_nothing(tmp_path: Path) -> None:
    """A truncated card ended in ``regiebehandelaar:`` (null): the schema allows null to
    remove an inherited entry, and building the policy then failed with a TypeError."""
    text = UNIVERSEEL.read_text(encoding="utf-8")
    path = tmp_path / "kaart.yaml"
    path.write_text(text.replace("parties:\n", "parties:\n  niemand:\n", 1), encoding="utf-8")
    policy = load_policy(path)
    assert "niemand" not in policy.parties
    assert policy.digest == load_policy(UNIVERSEEL).digest


def test_a_file_that_may_not_be_read_is_named_whoever_runs_the_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = valid_local_card(tmp_path / "dicht.yaml")
    opened = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return opened(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", denied)
    error = refused(load_policy, path)
    assert isinstance(error, InputRefused)
    assert error.message == "cannot read the file: Permission denied"


def test_a_file_in_the_root_directory_has_no_tree_of_its_own() -> None:
    with pytest.raises(InputRefused, match="lies outside"):
        find_card(Path("/verhaal.yaml"), "etc/shadow", key="policy", line=1)
    assert find_card(Path("/verhaal.yaml"), "universeel", key="policy", line=1) == UNIVERSEEL


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (alias_bomb(), "too many values once its aliases are expanded"),
        ("a: &a [*a]\n", "recursive alias"),
        ("regiekaart: 1\nid: " + "[" * 5000, "nested too deeply"),
        ("regiekaart: 1\nid: [x\n", "YAML syntax error: line 3, column 1"),
        ("regiekaart: 1\nid: x\x07\n", "#x0007"),
    ],
)
def test_the_pure_python_reader_refuses_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, said: str
) -> None:
    """Without libyaml the same composer counts on PyYAML's own parser."""
    from regiekaart.policy import _bounded as sourcemap

    fast = load_policy(MACHINES / "west-brabant.yaml")
    monkeypatch.setattr(sourcemap, "_FastBoundedLoader", None)
    path = tmp_path / "kaart.yaml"
    path.write_text(text, encoding="utf-8")
    assert said in refused(load_policy, path).message
    slow = load_policy(MACHINES / "west-brabant.yaml")
    assert (slow.digest, slow.sources) == (fast.digest, fast.sources)


def test_a_forbidden_character_after_non_ascii_text_is_on_its_own_line(tmp_path: Path) -> None:
    data = UNIVERSEEL.read_text(encoding="utf-8").replace("title:", "ti\x07tle:", 1).encode()
    line = data[: data.index(b"\x07")].count(b"\n") + 1
    error = refused(load_policy, encoded(tmp_path, data))
    assert (error.line, "#x0007" in error.message) == (line, True)
