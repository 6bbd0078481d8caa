"""``regiekaart case …``: stored cases for people and scripts.

A thin skin over :mod:`regiekaart.store`: every subcommand calls the functions a host
would call and only formats the result, as rich tables for a person or, with
``--json``, as one JSON document on stdout for a script. Commands are sent as the same
JSON a host gets from :func:`~regiekaart.runtime.commands.unstructure_command`, so a script
needs to learn one format, not a second one made of options.

Exit codes (:mod:`regiekaart.cli._exits`): 0 done; 1 a command was refused or the case's
audit chain is broken (``case history``); 2 bad input (a policy or a command that cannot
be read, a case id no case can have); 3 a concurrency conflict that retrying did not
resolve; 4 any other store error, a store that is not there among them (only ``case new``
creates one). Stored values are shown escaped (:mod:`regiekaart.cli._escaped`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from regiekaart.cli._escaped import print_json
from regiekaart.cli._exits import BAD_INPUT, FAILED, STORE_ERROR, fail
from regiekaart.cli._input import (
    SearchPathOption,
    case_id_or_exit,
    command_text,
    moment_or_exit,
    policy_or_exit,
    window_or_exit,
)
from regiekaart.cli._options import AsJson, Db
from regiekaart.cli._store_access import store_or_exit
from regiekaart.errors import CommandRefused, InvalidIdentifier, InvalidText, PolicyError
from regiekaart.terminal import printable

if TYPE_CHECKING:
    from rich.console import Console

    from regiekaart.policy.model import Policy
    from regiekaart.runtime.commands import Command, Member
    from regiekaart.runtime.records import CaseState
    from regiekaart.store.protocol import CaseInfo, CaseStore

__all__ = [
    "CaseId",
    "PolicyPath",
    "StoredPolicyPath",
    "case_app",
    "due",
    "history",
    "list_cases",
    "new",
    "send",
    "show",
]

case_app = typer.Typer(
    help="Stored cases: open, send commands, show, history, list, what is due.",
    no_args_is_help=True,
)

PolicyPath = Annotated[
    Path,
    typer.Option(
        "--policy",
        metavar="POLICY",
        envvar="REGIEKAART_POLICY",
        help="The card file the case runs under, e.g. machines/universeel.yaml.",
    ),
]
StoredPolicyPath = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        metavar="POLICY",
        envvar="REGIEKAART_POLICY",
        help="The card file to decide under; without it, the card the store kept for the case.",
    ),
]
CaseId = Annotated[
    str, typer.Argument(metavar="ID", help="The case id (opaque: no personal data).")
]


def _out() -> Console:
    from rich.console import Console

    return Console(highlight=False)


# -- case new -------------------------------------------------------------------------------


def _members(specs: Sequence[str]) -> list[Member]:
    from regiekaart.runtime.commands import Member

    members = []
    for spec in specs:
        member_id, sep, group = spec.partition(":")
        if not sep or not member_id or not group:
            fail(BAD_INPUT, f"--member {spec!r}: write ID:GROUP, e.g. m-1:GROUP")
        members.append(Member(id=member_id, group=group))
    return members


@case_app.command("new")
def new(
    case_id: CaseId,
    db: Db,
    policy_path: PolicyPath,
    actor: Annotated[str, typer.Option(metavar="PARTY", help="The party that registers the case.")],
    member: Annotated[
        list[str] | None,
        typer.Option(metavar="ID:GROUP", help="A household member (repeatable); ids are opaque."),
    ] = None,
    reason: Annotated[
        str, typer.Option(metavar="TEXT", help="Why the case is opened (audit trail).")
    ] = "",
    as_json: AsJson = False,
    path: SearchPathOption = None,
) -> None:
    """Open a case under a policy and store it."""
    from regiekaart.runtime.case import Case

    policy = policy_or_exit(policy_path, path)
    try:
        case = Case.create(
            policy, case_id, actor=actor, members=_members(member or []), reason=reason
        )
    except CommandRefused as refusal:
        _refused(refusal, as_json)
    except (InvalidIdentifier, InvalidText) as exc:
        fail(BAD_INPUT, exc)
    with store_or_exit(db, create=True) as store:
        store.create(case)
        info = store.info(case_id)
        state = store.state(case_id)
    _show(info, state, as_json)


# -- case send ------------------------------------------------------------------------------


def _read_commands(spec: str) -> list[Command]:
    """One command (a JSON object) or a batch (an array); ``-`` reads stdin, ``@FILE`` a file.

    Read and parsed within the limits (:func:`~regiekaart.runtime.commands.parse_commands`), so
    ``@/dev/zero`` or a 100,000-deep array is a message, not a crash.
    """
    from regiekaart.runtime.commands import parse_commands

    try:
        text, source = command_text(spec)
    except PolicyError as exc:
        fail(BAD_INPUT, f"cannot read {exc.file}: {exc.message}")
    try:
        return parse_commands(text, source=source)
    except PolicyError as exc:
        fail(BAD_INPUT, exc)


@case_app.command("send")
def send(
    case_id: CaseId,
    command: Annotated[
        str,
        typer.Argument(
            metavar="COMMAND",
            help='The command as JSON, e.g. \'{"type": "escalate", "actor": "PARTY", '
            '"to": "PHASE", "criteria": ["CRITERION"]}\'; an array is one batch, '
            "applied whole or not at all; - reads stdin, @FILE a file. Every command "
            "type: regiekaart schema --command, docs/commands.md.",
            show_default=False,
        ),
    ],
    db: Db,
    policy_path: StoredPolicyPath = None,
    retries: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="Reload and retry this often when another writer was first."
        ),
    ] = 3,
    as_json: AsJson = False,
    path: SearchPathOption = None,
) -> None:
    """Apply a command or a batch to a stored case.

    The events are committed, or nothing is and the refusal says why. The card is the
    one the case was last written under, kept by the store, unless --policy names one."""
    case_id_or_exit(case_id)
    commands = _read_commands(command)
    given = policy_or_exit(policy_path, path) if policy_path is not None else None
    with store_or_exit(db) as store:
        policy = given or _stored_card(store, case_id)
        try:
            events = store.send_all(policy, case_id, commands, retries=retries)
        except CommandRefused as refusal:
            _refused(refusal, as_json)
        info = store.info(case_id)
    from regiekaart.cli._case_views import events_table
    from regiekaart.runtime.records import unstructure

    if as_json:
        print_json(
            {
                "accepted": True,
                "case": case_id,
                "version": info.version,
                "events": [unstructure(e) for e in events],
            }
        )
        return
    title = f"case {printable(case_id)}: accepted, now at version {info.version}"
    _out().print(events_table(title, events))


def _stored_card(store: CaseStore, case_id: str) -> Policy:
    """The card the store kept for the case, or exit 2 saying to name one."""
    card = store.case_card(case_id)
    if card is None:
        fail(
            BAD_INPUT,
            f"case {printable(case_id)} was stored before the store kept its cards; "
            "give the card with --policy",
        )
    return card


def _refused(refusal: CommandRefused, as_json: bool) -> NoReturn:
    from regiekaart.runtime.commands import unstructure_command

    if as_json:
        print_json(
            {
                "accepted": False,
                "error": type(refusal).__name__,
                "message": refusal.message,
                "rule": refusal.rule,
                "source": refusal.source,
                "configuration": list(refusal.configuration),
                "tried": [
                    {"rule": rule, "error": type(other).__name__, "message": other.message}
                    for rule, other in refusal.tried
                ],
                "command": unstructure_command(refusal.command) if refusal.command else None,
            }
        )
        raise typer.Exit(FAILED)
    fail(FAILED, f"refused ({type(refusal).__name__}): {refusal}")


# -- case show / list -----------------------------------------------------------------------


@case_app.command("show")
def show(case_id: CaseId, db: Db, as_json: AsJson = False) -> None:
    """Show a case: phase, holders, facts and obligations.

    Its phase and configuration, the holders of each role, the facts recorded and the
    obligations still open."""
    case_id_or_exit(case_id)
    with store_or_exit(db) as store:
        info = store.info(case_id)
        state = store.state(case_id)
    _show(info, state, as_json)


def _show(info: CaseInfo, state: CaseState, as_json: bool) -> None:
    from regiekaart.cli._case_views import case_view, info_json
    from regiekaart.runtime.records import unstructure

    # The state was checked against the hash chain; the case row's summary columns were
    # not: a row that disagrees is not shown as if it were the case.
    phase = next((s for s in state.configuration if "." not in s), None)
    if (info.phase, info.version) != (phase, state.seq):
        fail(
            STORE_ERROR,
            f"case {printable(info.case_id)}: the case row disagrees with its chained state; "
            "run regiekaart audit verify",
        )
    if as_json:
        print_json({**info_json(info), "state": unstructure(state)})
        return
    _out().print(case_view(info, state))


@case_app.command("list")
def list_cases(db: Db, as_json: AsJson = False) -> None:
    """Every stored case: policy, version, phase, last change."""
    from regiekaart.cli._case_views import cases_table, info_json

    with store_or_exit(db) as store:
        infos = store.cases()
    if as_json:
        print_json([info_json(info) for info in infos])
        return
    _out().print(cases_table(infos))


# -- case due -------------------------------------------------------------------------------


@case_app.command("due")
def due(
    db: Db,
    at: Annotated[
        str | None,
        typer.Option(
            metavar="TIME",
            help="The moment to ask about, ISO 8601 with a time zone (default: now).",
        ),
    ] = None,
    within: Annotated[
        str,
        typer.Option(
            metavar="DURATION", help="Also what falls due this soon after, e.g. 2d or 1w."
        ),
    ] = "",
    as_json: AsJson = False,
) -> None:
    """Show what is due or overdue across the open cases.

    Measures at the end of their term (send an expire command), states past their
    longest stay (the rule the card expects), duties past their deadline (inform)."""
    from regiekaart.cli._case_views import due_json, due_table

    moment, window = moment_or_exit(at), window_or_exit(within)
    with store_or_exit(db) as store:
        found = store.due(moment, within=window)
    if as_json:
        print_json(due_json(found, moment.isoformat()))
        return
    asked = f"at {moment:%Y-%m-%d %H:%M} UTC" + (f" or within {within}" if within else "")
    _out().print(due_table(found, asked))


# -- case history ---------------------------------------------------------------------------


@case_app.command("history")
def history(case_id: CaseId, db: Db, as_json: AsJson = False) -> None:
    """Show a case's audit trail: who decided what, and why.

    Each event with its actor, rule, criteria, time and reason.

    The trail is shown even when its hash chain is broken (to find what was changed),
    but then the exit code is 1, as for ``audit verify``."""
    from rich.text import Text

    from regiekaart.cli._case_views import history_json, history_table

    case_id_or_exit(case_id)
    with store_or_exit(db) as store:
        rows = store.history(case_id)
        events = [row.event() for row in rows]
        report = store.verify(case_id)[0]
    if as_json:
        print_json(history_json(case_id, rows, report))
    else:
        _out().print(history_table(case_id, rows, events))
        if report.broken is None:
            head = printable(report.head_hash)
            _out().print(Text(f"hash chain verified; head {head}", style="green"))
        else:
            _out().print(Text(f"hash chain BROKEN: {printable(report.broken)}", style="bold red"))
    if report.broken is not None:
        raise typer.Exit(FAILED)
