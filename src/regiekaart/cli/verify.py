"""``regiekaart verify`` and ``regiekaart diff``: the command line over :mod:`regiekaart.verify`.

Exit codes: 0 when every obligation holds (verify) or nothing changed in behaviour
(diff is informative: 0 unless ``--fail-on-change``), 1 when an obligation is violated or
not proven (a bound hit without ``--allow-bound``), 2 for input that cannot be used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from regiekaart.cli._exits import BAD_INPUT, FAILED, fail
from regiekaart.cli._input import SearchPathOption, policy_or_exit
from regiekaart.cli._options import AsJson

if TYPE_CHECKING:
    from regiekaart.analysis.enumeration import Scope

__all__ = [
    "EveryDominanceOption",
    "HoldersOption",
    "MaxStatesOption",
    "MeasureOrderOption",
    "RefusalsOption",
    "WorkersOption",
    "diff",
    "register",
    "verify",
]

HoldersOption = Annotated[
    str,
    typer.Option(
        "--holders",
        metavar="none|deciding|all",
        help="Holder choices tried: none, deciding (roles some rule reads) or all.",
    ),
]

MeasureOrderOption = Annotated[
    bool,
    typer.Option(
        "--measure-order",
        help="Tell situations apart by the order measures were imposed in (needed only "
        "when a host check reads the order of role holders).",
    ),
]


WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        metavar="N",
        help="Processes that explore each breadth-first level (0: one per CPU; 1: this "
        "process only). The result and every story in it are the same either way.",
    ),
]


MaxStatesOption = Annotated[
    int,
    typer.Option(
        "--max-states", metavar="N", help="Stop each exploration after this many situations."
    ),
]

RefusalsOption = Annotated[
    bool,
    typer.Option(
        "--refusals/--no-refusals",
        help="Also try commands that must be refused, and check that they are.",
    ),
]


def _workers(asked: int) -> int:
    if asked > 0:
        return asked
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


EveryDominanceOption = Annotated[
    bool,
    typer.Option(
        "--every-dominance",
        help="Name every dominance option, not one per class of options that assign the "
        "same roles (needed only when a host check reads which option was named).",
    ),
]


def _scope(
    holders: str, refusals: bool, measure_order: bool = False, every_dominance: bool = False
) -> Scope:
    if holders not in ("none", "deciding", "all"):
        fail(BAD_INPUT, f"--holders must be none, deciding or all, not {holders!r}")
    chosen: Literal["none", "deciding", "all"] = holders  # type: ignore[assignment]
    from regiekaart.analysis.enumeration import Scope

    return Scope(
        refusals=refusals,
        holders=chosen,
        measure_order=measure_order,
        dominance="all" if every_dominance else "representatives",
    )


def verify(
    policy: Annotated[Path, typer.Argument(metavar="POLICY", help="The card file (YAML).")],
    max_states: MaxStatesOption = 100_000,
    as_json: AsJson = False,
    examples: Annotated[
        int,
        typer.Option(
            "--examples",
            metavar="N",
            help="Hypothesis examples for the seeded stateful run (0: skip).",
        ),
    ] = 25,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help="Write each counterexample as a scenario file here."
        ),
    ] = None,
    invariants: Annotated[
        list[str] | None,
        typer.Option(
            "--invariants",
            metavar="MODULE:NAME",
            help="Host invariants as package.module:attribute (repeatable).",
        ),
    ] = None,
    allow_bound: Annotated[
        bool,
        typer.Option(
            "--allow-bound", help="Exit 0 when nothing is violated but the bound was hit."
        ),
    ] = False,
    holders: HoldersOption = "deciding",
    refusals: RefusalsOption = True,
    measure_order: MeasureOrderOption = False,
    every_dominance: EveryDominanceOption = False,
    workers: WorkersOption = 0,
    path: SearchPathOption = None,
) -> None:
    """Check every obligation in every reachable situation.

    Exits 0 only when all hold; each violation comes with its shortest story."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from regiekaart.verify.report import extra_invariants, render, verify_policy

    loaded = policy_or_exit(policy, path)
    scope = _scope(holders, refusals, measure_order, every_dominance)
    try:
        extra = extra_invariants(invariants or [])
    except ValueError as error:
        fail(BAD_INPUT, error)
    console = Console(stderr=True, highlight=False)
    with Progress(
        TextColumn("[bold]exploring[/bold] {task.fields[policy]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("situations · {task.fields[tried]} commands"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
        # Refreshed from the progress callback, not by a thread: the parallel search
        # forks its workers, and a fork should not catch a thread holding a lock.
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("explore", total=max_states, policy=loaded.id, tried=0)

        def progress(found: int, tried: int) -> None:
            bar.update(task, completed=found, tried=tried)
            bar.refresh()

        report = verify_policy(
            loaded,
            policy,
            max_states=max_states,
            scope=scope,
            extra=extra,
            examples=examples,
            out=out,
            progress=progress,
            workers=_workers(workers),
        )
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        Console(highlight=False).print(render(report))
    bound_only = not report.violated and report.exploration.bound_hit
    if report.passed or (bound_only and allow_bound):
        return
    raise typer.Exit(FAILED)


def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The card as it is (YAML).")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The proposed card (YAML).")],
    max_states: MaxStatesOption = 20_000,
    as_json: AsJson = False,
    holders: HoldersOption = "deciding",
    refusals: RefusalsOption = True,
    limit: Annotated[
        int,
        typer.Option("--limit", metavar="N", help="Behaviour differences shown per direction."),
    ] = 10,
    measure_order: MeasureOrderOption = False,
    every_dominance: EveryDominanceOption = False,
    fail_on_change: Annotated[
        bool,
        typer.Option(
            "--fail-on-change",
            help="Exit 1 when behaviour changed or an invariant that held now fails.",
        ),
    ] = False,
    workers: WorkersOption = 0,
    path: SearchPathOption = None,
) -> None:
    """Compare two cards: on the card and in behaviour.

    Behaviour differences come with their shortest traces."""
    from rich.console import Console

    from regiekaart.verify.diff import diff_policies, render_diff

    before, after = policy_or_exit(old, path), policy_or_exit(new, path)
    result = diff_policies(
        before,
        after,
        scope=_scope(holders, refusals, measure_order, every_dominance),
        max_states=max_states,
        limit=limit,
        workers=_workers(workers),
    )
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        Console(highlight=False).print(render_diff(result))
    if fail_on_change and (result.behaviour or result.invariants):
        raise typer.Exit(FAILED)


def register(root: typer.Typer) -> None:
    """Mount ``verify`` and ``diff`` on the root command."""
    root.command("verify")(verify)
    root.command("diff")(diff)
