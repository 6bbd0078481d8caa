"""Hostile input through every command that reads files: a message naming the file (and
the line where there is one), exit code 2, no traceback, quickly.

These are the observations of the issue "Trust", replayed as a shell user would: a
scenario whose ``policy:`` is a secret file, ``extends:`` out of the tree, an alias bomb,
a 50 MB card, a 100,000-step scenario, ``case send ID @/dev/zero``, latin-1, UTF-16, a
NUL byte, deep nesting in YAML and JSON, a recursive alias.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from regiekaart.cli import app

ROOT = Path(__file__).resolve().parents[2]
UNIVERSEEL = ROOT / "machines" / "universeel.yaml"
SCRIPT = Path(sys.executable).parent / "regiekaart"
TOKEN = "ZEER-GEHEIM-7f3a9c"
BOUND = 5.0
"""Seconds a refusal may take in process: a bound on termination, not a benchmark."""

runner = CliRunner(env={"COLUMNS": "320", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def invoke(
    *args: str | Path, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    began = time.monotonic()
    result = runner.invoke(app, [str(a) for a in args], input=stdin, env=env)
    assert time.monotonic() - began < BOUND
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def bad(*args: str | Path, said: str, **kwargs: object) -> str:
    """Exit code 2 and ``said`` in the output (stderr, or stdout for validate)."""
    code, out, err = invoke(*args, **kwargs)  # type: ignore[arg-type]
    assert code == 2, out + err
    text = " ".join((out + err).split())
    assert said in text, text
    return text


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "etc"
    outside.mkdir()
    for name in ("shadow", "shadow.yaml"):
        (outside / name).write_text(f"root:{TOKEN}:19000:0:99999:7:::\n", encoding="utf-8")
    return outside / "shadow"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "kaarten"
    path.mkdir()
    return path


def story(path: Path, policy: str) -> Path:
    path.write_text(
        f"policy: {policy}\ncase: c\nsteps:\n  - signal: {{actor: wijkteam}}\n", encoding="utf-8"
    )
    return path


def card(path: Path, extends: str) -> Path:
    path.write_text(
        f"regiekaart: 1\nid: lokaal\ntitle: Lokaal\nextends: {extends}\n", encoding="utf-8"
    )
    return path


# -- files stay where they belong ---------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "validate", "render-timeline"])
@pytest.mark.parametrize("form", ["relative", "absolute", "absolute.yaml"])
def test_a_secret_named_as_policy_is_refused_and_never_shown(
    home: Path, secret: Path, command: str, form: str
) -> None:
    ref = {
        "relative": "../etc/shadow",
        "absolute": str(secret),
        "absolute.yaml": f"{secret}.yaml",
    }[form]
    path = story(home / "verhaal.yaml", ref)
    bad(command, path, said=f"{path}:1 policy: {ref!r} lies outside the directories")


def test_a_secret_given_as_the_file_itself_is_not_quoted(secret: Path) -> None:
    for command in (["validate"], ["show"], ["run"], ["render", "-f", "md"], ["simulate"]):
        bad(*command, secret, said=f"{secret}:1: not a regiekaart")


@pytest.mark.parametrize("command", [["validate"], ["show"], ["render", "-f", "md"]])
def test_extends_out_of_the_tree_is_refused(home: Path, secret: Path, command: list[str]) -> None:
    for ref in ("../etc/shadow.yaml", f"{secret}.yaml", "../outside.yaml"):
        path = card(home / "lokaal.yaml", ref)
        bad(*command, path, said=f"{path}:4 extends: {ref!r} lies outside")


def test_a_symlink_out_is_refused(home: Path, secret: Path) -> None:
    (home / "basis.yaml").symlink_to(f"{secret}.yaml")
    path = card(home / "lokaal.yaml", "basis.yaml")
    bad("show", path, said=f"{path}:4 extends: 'basis.yaml' lies outside")


def test_the_path_option_and_the_environment_allow_a_trusted_directory(
    home: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "gedeeld"
    shared.mkdir()
    (shared / "basis.yaml").write_bytes(UNIVERSEEL.read_bytes())
    local = card(home / "lokaal.yaml", "../gedeeld/basis.yaml")
    scenario = story(home / "verhaal.yaml", "../gedeeld/basis.yaml")
    bad("validate", local, said="lies outside")
    code, out, err = invoke("validate", "--path", shared, local, scenario)
    assert code == 0, out + err
    code, out, err = invoke("run", scenario, "--path", shared)
    assert code == 0, out + err
    code, out, err = invoke("show", local, env={"REGIEKAART_PATH": str(shared)})
    assert code == 0, out + err
    code, out, err = invoke(
        "render",
        "-f",
        "md",
        local,
        env={"REGIEKAART_PATH": f"{tmp_path / 'niets'}{os.pathsep}{shared}"},
    )
    assert code == 0, out + err


# -- bounded work and unreadable files, through every reader -------------------------------


def alias_bomb() -> str:
    text = "regiekaart: 1\nid: x\ntitle: x\na: &a [" + ",".join(['"lol"'] * 9) + "]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    return text


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "alias-bomb": (alias_bomb().encode(), ":8: too many values once its aliases are expanded"),
    "recursive-alias": (b"regiekaart: 1\nid: &a [*a]\n", ":2: a recursive alias"),
    "deep-yaml": (b"regiekaart: 1\nid: " + b"[" * 100_000, ":2: nested too deeply"),
    "latin-1": (
        "regiekaart: 1\ntitle: Caf\u00e9\n".encode("latin-1"),
        ":2: not UTF-8 text (byte 0xE9 at line 2)",
    ),
    "utf-16": (
        "regiekaart: 1\nid: x\n".encode("utf-16"),
        ":1: not UTF-8 text (byte 0xFF at line 1)",
    ),
    "utf-16-no-bom": ("regiekaart: 1\nid: x\n".encode("utf-16-le"), ":1: a NUL byte at line 1"),
    "nul": (b"regiekaart: 1\nid: x\x00y\n", ":2: a NUL byte at line 2"),
    "control": (b"regiekaart: 1\nid: x\x1by\n", ":2: line 2: a character YAML does not allow"),
}

READERS: dict[str, list[str]] = {
    "validate": ["validate"],
    "show": ["show"],
    "run": ["run"],
    "render": ["render", "-f", "md"],
    "verify": ["verify", "--examples", "0", "--workers", "1"],
    "diff": ["diff", str(UNIVERSEEL)],
    "simulate": ["simulate"],
    "render-timeline": ["render-timeline"],
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_every_reader_refuses_a_hostile_file_with_its_line(
    tmp_path: Path, reader: str, kind: str
) -> None:
    data, said = BAD_FILES[kind]
    path = tmp_path / "kaart.yaml"
    path.write_bytes(data)
    bad(*READERS[reader], path, said=f"{path}{said}")


def test_case_new_refuses_a_hostile_policy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cases.db"
    for kind, (data, said) in sorted(BAD_FILES.items()):
        path = tmp_path / f"{kind}.yaml"
        path.write_bytes(data)
        bad(
            "case",
            "new",
            "c",
            "--db",
            db,
            "--policy",
            path,
            "--actor",
            "wijkteam",
            said=f"{path}{said}",
        )


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_directory_a_fifo_dev_zero_and_a_missing_file_are_named(
    tmp_path: Path, reader: str
) -> None:
    os.mkfifo(tmp_path / "pijp.yaml")
    cases = {
        tmp_path: "is a directory",
        tmp_path / "pijp.yaml": "is not a regular file",
        Path("/dev/zero"): "is not a regular file",
        tmp_path / "nergens.yaml": "file not found",
    }
    for path, said in cases.items():
        bad(*READERS[reader], path, said=f"{path}: {said}")


def test_a_50_megabyte_card_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "groot.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("regiekaart: 1\nid: x\ntitle: x\ndescription: |\n")
        for _ in range(500):
            out.write(("  " + "x" * 98 + "\n") * 1000)
    bad("show", path, said=f"{path}: the file has 50,500,044 bytes")
    bad(
        "validate",
        path,
        said="limit max_card_bytes = 1,048,576; raise it with REGIEKAART_MAX_CARD_BYTES",
    )


def test_a_scenario_of_100000_steps_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lang.yaml"
    path.write_text(
        f"policy: {UNIVERSEEL}\ncase: c\nsteps:\n" + "- signal: {actor: wijkteam}\n" * 100_000,
        encoding="utf-8",
    )
    bad("run", path, said=f"{path}: the file has")
    bad("run", path, said="max_scenario_bytes")
    path.write_text(
        f"policy: {UNIVERSEEL}\ncase: c\nsteps:\n" + "- signal: {actor: wijkteam}\n" * 5_001,
        encoding="utf-8",
    )
    bad("run", path, said=f"{path}:3: the scenario has 5,001 steps (limit max_scenario_steps")


def test_a_bad_limit_in_the_environment_is_a_message(tmp_path: Path) -> None:
    bad(
        "show", UNIVERSEEL, said="REGIEKAART_MAX_DEPTH='diep'", env={"REGIEKAART_MAX_DEPTH": "diep"}
    )


# -- case send -----------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path) -> list[str]:
    """The options of a store holding case c, opened by the wijkteam."""
    options = ["--db", f"sqlite:///{tmp_path}/cases.db", "--policy", str(UNIVERSEEL)]
    code, out, err = invoke("case", "new", "c", *options, "--actor", "wijkteam")
    assert code == 0, out + err
    return options


DEEP = "[" * 100_000 + "]" * 100_000


def test_case_send_from_dev_zero_is_refused_at_once(stored: list[str]) -> None:
    bad(
        "case",
        "send",
        "c",
        "@/dev/zero",
        *stored,
        said="cannot read /dev/zero: is not a regular file",
    )


def test_case_send_of_endless_stdin_is_refused_at_its_size(stored: list[str]) -> None:
    bad("case", "send", "c", "-", *stored, stdin=b"[" * 2_000_000, said="<stdin>: the command has")


@pytest.mark.parametrize("where", ["inline", "file", "stdin"])
def test_case_send_of_deep_json_is_refused(stored: list[str], tmp_path: Path, where: str) -> None:
    path = tmp_path / "diep.json"
    path.write_text(DEEP, encoding="utf-8")
    spec = {"inline": DEEP, "file": f"@{path}", "stdin": "-"}[where]
    bad(
        "case", "send", "c", spec, *stored,
        stdin=DEEP.encode() if where == "stdin" else None,
        said="the command is nested too deeply (limit max_depth = 64",
    )  # fmt: skip


NOT_JSON_TEXT = {
    "latin-1": ('{"type": "signal", "actor": "caf\u00e9"}'.encode("latin-1"), 1, "not UTF-8 text"),
    "utf-16": ('{"type": "signal"}'.encode("utf-16"), 1, "not UTF-8 text (byte 0xFF at line 1)"),
    "nul": (b'{"type": "signal", "actor": "x\x00"}', 1, "a NUL byte at line 1"),
    "syntax": (b'[\n{"type": "signal",\n "actor": }]', 3, "the command is not JSON"),
}


@pytest.mark.parametrize("kind", sorted(NOT_JSON_TEXT))
def test_case_send_of_text_that_is_not_json_names_file_and_line(
    stored: list[str], tmp_path: Path, kind: str
) -> None:
    data, line, said = NOT_JSON_TEXT[kind]
    path = tmp_path / "opdracht.json"
    path.write_bytes(data)
    bad("case", "send", "c", f"@{path}", *stored, said=f"{path}:{line}: {said}")
    bad("case", "send", "c", "-", *stored, stdin=data, said=f"<stdin>:{line}: {said}")


def test_case_send_of_a_directory_or_missing_file(stored: list[str], tmp_path: Path) -> None:
    bad(
        "case", "send", "c", f"@{tmp_path}", *stored, said=f"cannot read {tmp_path}: is a directory"
    )
    missing = tmp_path / "nergens.json"
    bad("case", "send", "c", f"@{missing}", *stored, said=f"cannot read {missing}: file not found")


# -- the real console script ---------------------------------------------------------------


@pytest.mark.slow
def test_the_console_script_refuses_hostile_input_quickly(tmp_path: Path, secret: Path) -> None:
    """As a shell sees it: exit 2, a message on stderr, nothing on stdout, in seconds."""
    assert SCRIPT.exists(), f"the package is not installed in {sys.prefix}"
    bomb = tmp_path / "bom.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    scenario = story(tmp_path / "sub" / "verhaal.yaml", "../etc/shadow")
    for args, said in (
        (["show", str(bomb)], f"{bomb}:8: too many values"),
        (["run", str(scenario)], f"{scenario}:1 policy: '../etc/shadow' lies outside"),
    ):
        began = time.monotonic()
        done = subprocess.run(
            [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False, cwd=ROOT
        )
        assert time.monotonic() - began < 30
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert said in " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr
        assert TOKEN not in done.stderr
    store = ["--db", f"sqlite:///{tmp_path}/cases.db", "--policy", str(UNIVERSEEL)]
    opened = subprocess.run(
        [str(SCRIPT), "case", "new", "c", *store, "--actor", "wijkteam", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout)["case"] == "c"
    done = subprocess.run(
        [str(SCRIPT), "case", "send", "c", "@/dev/zero", *store],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "cannot read /dev/zero" in done.stderr
    assert "Traceback" not in done.stderr
