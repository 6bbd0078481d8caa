"""``regiekaart simulate``: a population scenario on the kernel, from the command line.

Parses the options, runs :func:`regiekaart.simulate.run.simulate` (twice, on the same
random numbers, with ``--compare``), writes Parquet and ``summary.json`` and prints the
headline figures. A bad scenario is one message naming file, line and path, exit code 2,
and nothing is run.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regiekaart.cli._exits import BAD_INPUT, MISSING_TOOL, fail
from regiekaart.cli._input import SearchPathOption, search_path
from regiekaart.cli._options import AsJson
from regiekaart.errors import PolicyError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

__all__ = ["register", "simulate_command"]


class _LazyBar:
    """A rich progress bar that appears only once a run has lasted a second, so quick
    runs print nothing but their result."""

    def __init__(self, total: int, console: Console) -> None:
        self.total = total
        self.done = 0
        self.began = time.perf_counter()
        self.progress: Progress | None = None
        self.task: Any = None
        self.console = console

    def __call__(self, done: int) -> None:
        self.done += done
        if self.progress is None and time.perf_counter() - self.began > 1.0:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("simulating"),
                BarColumn(),
                TextColumn("{task.completed:,} / {task.total:,} household-weeks"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("simulate", total=self.total)
        if self.progress is not None:
            self.progress.update(self.task, completed=self.done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def simulate_command(
    scenario: Annotated[
        Path, typer.Argument(metavar="SIMULATION", help="The population scenario (YAML).")
    ],
    households: Annotated[
        int | None,
        typer.Option("--households", min=1, metavar="N", help="Override the number of households."),
    ] = None,
    weeks: Annotated[
        int | None,
        typer.Option("--weeks", min=1, metavar="N", help="Override the horizon in weeks."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", min=1, metavar="N", help="Override the number of replications."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Directory for Parquet tables and summary.json."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            metavar="POLICY",
            help="Another card file: same households, same random numbers.",
        ),
    ] = None,
    as_json: AsJson = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Write a self-contained HTML report here."),
    ] = None,
    dask: Annotated[
        bool, typer.Option("--dask", help="Run household partitions on a Dask LocalCluster.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, metavar="N", help="Worker processes of the LocalCluster."),
    ] = 2,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Address of an existing Dask scheduler to use instead.",
        ),
    ] = None,
    path: SearchPathOption = None,
) -> None:
    """Simulate households week by week under a card."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    try:
        from regiekaart.simulate.attempts import load_population
        from regiekaart.simulate.run import compare as paired
        from regiekaart.simulate.run import simulate
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        fail(MISSING_TOOL, f"simulation needs the 'simulate' extra: {exc}")
    try:
        dirs = search_path(path)
        base_scenario = load_population(scenario, search_path=dirs)
        other_scenario = (
            load_population(scenario, policy=compare, search_path=dirs)
            if compare is not None
            else None
        )
    except PolicyError as exc:
        from regiekaart.cli._kinds import explained

        fail(BAD_INPUT, explained(scenario, exc, "simulation"))
    n = households or base_scenario.households
    horizon = weeks or base_scenario.horizon_weeks
    count = replications or base_scenario.replications
    runs = 2 if other_scenario is not None else 1
    bar = _LazyBar(n * horizon * count * runs, err)
    with ExitStack() as stack:
        client = _client(stack, dask, workers, scheduler)
        try:
            base = simulate(
                base_scenario,
                households=n,
                weeks=horizon,
                replications=count,
                progress=bar,
                client=client,
            )
            other = (
                simulate(
                    other_scenario,
                    households=n,
                    weeks=horizon,
                    replications=count,
                    progress=bar,
                    client=client,
                )
                if other_scenario is not None
                else None
            )
        except PolicyError as exc:
            bar.close()
            fail(BAD_INPUT, exc)
    bar.close()
    summary: dict[str, Any] = base.summary()
    if other is not None:
        summary["compare"] = {
            "policy": other.summary()["policy"],
            "results": other.summary()["results"],
            "difference": paired(base, other),
        }
    _write_files(base, other, summary, out, report)
    console = Console(highlight=False)
    if report is not None and not as_json:
        console.print(f"report written to {report}")
    if as_json:
        console.print_json(json.dumps(summary, default=str))
        return
    _print(console, summary)
    if out is not None:
        console.print(f"written to {out}")


def _write_files(
    base: Any, other: Any, summary: dict[str, Any], out: Path | None, report: Path | None
) -> None:
    """The files asked for: the Parquet tables under ``out`` (each run in its own folder,
    with the paired summary beside them, when compared) and the HTML ``report``."""
    from regiekaart.simulate.run import write

    if out is not None:
        write(base, out / "base" if other is not None else out)
        if other is not None:
            write(other, out / "compare", {"compared_with": summary["policy"]})
            (out / "summary.json").write_text(
                json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8"
            )
    if report is not None:
        from regiekaart.simulate.report import render_report

        render_report(
            base,
            report,
            other=other,
            difference=summary["compare"]["difference"] if other is not None else None,
        )


def _client(stack: ExitStack, local: bool, workers: int, scheduler: str | None) -> Any:
    """A ``distributed.Client`` for ``--dask`` / ``--scheduler``, closed with ``stack``."""
    if not local and scheduler is None:
        return None
    try:
        import distributed
    except ImportError:
        fail(MISSING_TOOL, "--dask needs dask[distributed] (the 'simulate' extra)")
    if scheduler is not None:
        return stack.enter_context(distributed.Client(scheduler))  # type: ignore[no-untyped-call]
    cluster = stack.enter_context(
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    )
    return stack.enter_context(distributed.Client(cluster))  # type: ignore[no-untyped-call]


def _print(console: Console, summary: dict[str, Any]) -> None:
    from rich.table import Table

    title = (
        f"{summary['policy']['id']}: {summary['households']:,} households × "
        f"{summary['weeks']} weeks × {summary['replications']} replications"
    )
    table = Table(title=title)
    table.add_column("figure", overflow="fold")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    difference = summary.get("compare", {}).get("difference")
    if difference is not None:
        table.add_column(f"{summary['compare']['policy']['id']} − base", justify="right")
        table.add_column("95% interval", justify="right")
    for key, value in summary["results"].items():
        if key.startswith("mean caseload/") and not key.split("/")[1].endswith("regie"):
            continue
        row = [key, f"{value['mean']:,.2f}", f"{value['low']:,.2f} – {value['high']:,.2f}"]
        if difference is not None:
            d = difference.get(key, {"mean": 0.0, "low": 0.0, "high": 0.0})
            row += [f"{d['mean']:+,.2f}", f"{d['low']:+,.2f} – {d['high']:+,.2f}"]
        table.add_row(*row)
    console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``simulate`` to the ``regiekaart`` command."""
    root.command("simulate", no_args_is_help=True)(simulate_command)
