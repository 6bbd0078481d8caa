"""The package's shape: the layer rule, private modules, sizes and public faces.

The rule itself is an import-linter contract in ``pyproject.toml`` (``lint-imports``
runs it; so does ``make lint``). These tests run the same contract, show that it
still catches an import that breaks it, and check what it cannot: that every package
is placed in a layer, that a ``_``-module is used only inside its own package, that no
file has grown past what a reader takes in at once, and that each public module says
what it offers in a sorted ``__all__``.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "regiekaart"
PUBLIC_FACE = {"regiekaart", "regiekaart.invariants"}
"""Above every layer: the top-level package and the module hosts extend checks through."""


def _contract() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    return dict(layers)


def _layered() -> set[str]:
    names = set()
    for layer in _contract()["layers"]:  # type: ignore[attr-defined]
        names.update(part.strip() for part in str(layer).split("|"))
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
         "sys.exit(lint_imports_command())", "--config", str(ROOT / "pyproject.toml"),
         "--no-cache"],
        cwd=ROOT,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_every_layer_imports_only_the_layers_below_it() -> None:
    result = _lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_upwards_breaks_the_contract(tmp_path: Path) -> None:
    """The contract is live: the card's model importing the runtime is reported, with the
    line, although the import sits inside a function."""
    shutil.copytree(PACKAGE, tmp_path / "regiekaart", ignore=shutil.ignore_patterns("*.pyc"))
    model = tmp_path / "regiekaart" / "policy" / "model.py"
    with model.open("a", encoding="utf-8") as out:
        out.write("\n\ndef _planted() -> None:\n    from regiekaart.runtime import case  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "regiekaart.policy is not allowed to import regiekaart.runtime" in result.stdout
    assert "regiekaart.policy.model -> regiekaart.runtime.case" in result.stdout


def test_every_package_and_module_of_the_top_level_is_in_a_layer() -> None:
    """A new package cannot escape the rule by not being named in it."""
    tops = {
        _module_name(p if p.is_file() else p / "__init__.py")
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()
    }
    assert tops - PUBLIC_FACE == _layered()


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        ours = isinstance(node, ast.ImportFrom) and (node.module or "").startswith("regiekaart")
        if ours and isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return found


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_a_private_module_is_imported_only_inside_its_own_package() -> None:
    modules = {_module_name(p) for p in _sources()}
    wrong = []
    for path in _sources():
        importer = _module_name(path)
        for line, name in _imports(path):
            if name not in modules:
                continue
            parts = name.split(".")
            private = [i for i, part in enumerate(parts) if part.startswith("_")]
            if private and not importer.startswith(".".join(parts[: private[0]]) + "."):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == []


def test_no_source_file_is_longer_than_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _sources()
        if (n := len(p.read_text("utf-8").splitlines())) > 400
    }
    assert long == {}


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert isinstance(node, ast.Assign)
            return [ast.literal_eval(e) for e in node.value.elts]  # type: ignore[attr-defined]
    return None


def _top_level_names(tree: ast.Module) -> set[str]:
    """What the module binds at its top, including names imported for type checkers
    only (a package that loads its modules on first use names them there)."""
    names: set[str] = set()
    body = [*tree.body]
    body += [n for node in tree.body if isinstance(node, ast.If) for n in node.body]
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if not any(part.startswith("_") for part in
                                      p.relative_to(PACKAGE).with_suffix("").parts
                                      if part != "__init__")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)  # fmt: skip
def test_a_public_module_names_its_public_face_in_a_sorted_all(path: Path) -> None:
    """``__all__`` is sorted the way ruff sorts it (constants, classes, functions),
    names only what the module has, and lists every public name it defines."""
    tree = ast.parse(path.read_text("utf-8"))
    declared = _declared_all(tree)
    assert declared is not None, "no __all__"
    assert declared == sorted(declared, key=_ruff_key)
    names = _top_level_names(tree)
    assert [n for n in declared if n not in names] == []
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    missing = sorted(n for n in defined if not n.startswith("_") and n not in declared)
    assert missing == []


def _ruff_key(name: str) -> tuple[int, str]:
    """RUF022's "isort-style" order: SCREAMING_CASE, then CamelCase, then the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


PUBLIC_BEFORE_THE_LAYERS = frozenset(
    (
        "Appoint",
        "AuditChainBroken",
        "Case",
        "CaseClosed",
        "CaseNotFound",
        "CaseState",
        "ChangeLevel",
        "Clock",
        "CloseCase",
        "Command",
        "CommandRefused",
        "CompiledPolicy",
        "ConcurrencyConflict",
        "CorruptRecord",
        "CriteriaNotMet",
        "Deescalate",
        "EndMeasure",
        "Escalate",
        "Event",
        "Facts",
        "HolderRequired",
        "ImposeMeasure",
        "IneligibleHolder",
        "Inform",
        "InputRefused",
        "InvalidCommand",
        "InvalidIdentifier",
        "InvalidText",
        "InvalidTime",
        "LimitExceeded",
        "Limits",
        "Melding",
        "Member",
        "NotAuthorized",
        "OpenCase",
        "Policy",
        "PolicyError",
        "PolicyErrors",
        "PreconditionNotMet",
        "RecordAdvice",
        "RecordDecision",
        "RegiekaartError",
        "Signal",
        "Snapshot",
        "SnapshotMismatch",
        "StepClock",
        "StoreError",
        "TransitionNotAllowed",
        "UnstorableValue",
        "__version__",
        "compile_policy",
        "load_policy",
        "load_policy_document",
        "parse_commands",
        "policy_schema",
        "structure_command",
        "system_clock",
        "unstructure_command",
    )
)
"""``regiekaart.__all__`` as it was when the modules sat side by side: host code imports
these, so each must stay."""


def test_the_top_level_keeps_its_public_face_and_adds_the_store() -> None:
    import regiekaart

    assert PUBLIC_BEFORE_THE_LAYERS - set(regiekaart.__all__) == set()
    assert {"open_store", "CaseStore", "CaseNotFound", "CorruptRecord"} <= set(regiekaart.__all__)
    assert all(hasattr(regiekaart, name) for name in regiekaart.__all__)


def test_the_top_level_loads_each_name_from_the_module_its_type_comes_from() -> None:
    """The names are loaded on first use; the table they are loaded from, the imports
    type checkers read and ``__all__`` name the same things."""
    import importlib

    import regiekaart

    homes: dict[str, str] = regiekaart._HOMES  # type: ignore[attr-defined]
    assert set(homes) == set(regiekaart.__all__) - {"__version__"}
    tree = ast.parse((PACKAGE / "__init__.py").read_text("utf-8"))
    typed = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("regiekaart")
        for alias in node.names
    }
    assert typed == homes
    for name, home in homes.items():
        assert getattr(regiekaart, name) is getattr(importlib.import_module(home), name)
