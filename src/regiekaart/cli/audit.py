"""``regiekaart audit …``: the tamper-evident audit trail of a store, checked.

A thin skin over :meth:`~regiekaart.store.protocol.CaseStore.verify`: it names the first
break of every case's hash chain, as a table for a person or, with ``--json``, as one
JSON document on stdout for a script.

Exit codes (:mod:`regiekaart.cli._exits`): 0 every chain holds; 1 a chain is broken; 2 bad
input (a card that cannot be read, a case id no case can have); 3 a concurrency conflict;
4 any other store error, a store that is not there among them. Stored values are shown
escaped (:mod:`regiekaart.cli._escaped`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from regiekaart.cli._escaped import cell, print_json
from regiekaart.cli._exits import FAILED
from regiekaart.cli._input import case_id_or_exit, policy_or_exit
from regiekaart.cli._options import AsJson, Db
from regiekaart.cli._store_access import store_or_exit
from regiekaart.terminal import counted, printable

if TYPE_CHECKING:
    from rich.table import Table

    from regiekaart.store.audit import ChainReport

__all__ = ["audit_app", "verify"]

audit_app = typer.Typer(help="The tamper-evident audit trail of a store.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    db: Db,
    case: Annotated[str | None, typer.Option(metavar="ID", help="Check one case only.")] = None,
    policy_paths: Annotated[
        list[Path] | None,
        typer.Option(
            "--policy",
            metavar="POLICY",
            help="A card to replay under, for cases stored before the store kept its cards "
            "(repeatable).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Check every stored case and name the first break of each.

    Its hash chain, its snapshot against the chain, and a replay of its events under the
    cards they were decided under."""
    if case is not None:
        case_id_or_exit(case)
    cards = [policy_or_exit(path) for path in policy_paths or ()]
    started = time.monotonic()
    with store_or_exit(db) as store:
        reports = store.verify(case, cards=cards)
    seconds = time.monotonic() - started
    rate = len(reports) / seconds if seconds > 0 else 0.0
    broken = [r for r in reports if not r.ok]
    if as_json:
        print_json(
            {
                "ok": not broken,
                "cases": [_report_json(r) for r in reports],
                "seconds": round(seconds, 3),
                "cases_per_second": round(rate, 1),
            }
        )
    else:
        from rich.console import Console
        from rich.text import Text

        out = Console(highlight=False)
        out.print(_reports_table(reports))
        unreplayed = sum(1 for r in reports if r.ok and not r.replayed)
        summary = (
            f"{counted(len(reports), 'case')}, {len(broken)} broken, "
            f"{unreplayed} not replayed; {seconds:.2f} s ({rate:,.1f} cases/s)"
        )
        out.print(Text(summary, style="bold red" if broken else "bold green"))
    if broken:
        raise typer.Exit(FAILED)


def _report_json(report: ChainReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "case": report.case_id,
        "ok": report.ok,
        "events": report.events,
        "head_hash": report.head_hash,
    }
    if report.broken is not None:
        out["broken_at"] = report.broken.seq
        out["detail"] = report.broken.detail
    out["replayed"] = report.replayed
    if report.unreplayed:
        out["unreplayed"] = report.unreplayed
    return out


def _reports_table(reports: Sequence[ChainReport]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="audit chains", title_justify="left")
    for column in ("case", "events", "chain", "head hash"):
        table.add_column(column)
    for report in reports:
        if report.broken is None and report.replayed:
            status = Text("ok, replayed", style="green")
        elif report.broken is None:
            status = Text(f"chain ok, not replayed: {report.unreplayed}", style="yellow")
        else:
            status = Text(
                f"broken at event {report.broken.seq}: {printable(report.broken.detail)}",
                style="bold red",
            )
        table.add_row(cell(report.case_id), str(report.events), status, cell(report.head_hash[:16]))
    return table
