"""``regiekaart case …`` and ``regiekaart audit …``: stored cases for people and scripts.

A thin skin over :mod:`regiekaart.store`: every subcommand calls the functions a host
would call and only formats the result, as rich tables for a person or, with
``--json``, as one JSON document on stdout for a script. Commands are sent as the same
JSON a host gets from :func:`~regiekaart.runtime.commands.unstructure_command`, so a script
needs to learn one format, not a second one made of options.

Exit codes: 0 done; 1 a command was refused or an audit chain is broken (``audit verify``,
``case history``); 2 bad input (a policy or a command that cannot be read, a case id no
case can have); 3 a concurrency conflict that retrying did not resolve; 4 any other store
error, a store that is not there among them (only ``case new`` creates one).

Everything shown comes from a store someone else may have written to, so no stored
value reaches the terminal raw: tables and messages show control and format characters
escaped (:func:`~regiekaart.terminal.printable`) and never read data as rich markup,
and ``--json`` writes them as ``\\u`` escapes.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import structlog
import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from regiekaart.cli._input import SearchPathOption, command_text, search_path
from regiekaart.errors import (
    CommandRefused,
    ConcurrencyConflict,
    InvalidIdentifier,
    InvalidText,
    PolicyError,
    SnapshotMismatch,
    StoreError,
)
from regiekaart.ids import check_id
from regiekaart.policy.loader import load_policy
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import Command, Member, parse_commands, unstructure_command
from regiekaart.runtime.records import CaseState, Event, unstructure
from regiekaart.store.audit import ChainReport, StoredEvent
from regiekaart.store.protocol import CaseInfo, CaseStore
from regiekaart.store.url import open_store
from regiekaart.terminal import ESCAPED_CATEGORIES, printable

EXIT_REFUSED = 1
EXIT_INPUT = 2
EXIT_CONFLICT = 3
EXIT_STORE = 4

case_app = typer.Typer(
    help="Cases in a durable store: open one, send it commands, show it, its history, list all.",
    no_args_is_help=True,
)
audit_app = typer.Typer(help="The tamper-evident audit trail of a store.", no_args_is_help=True)

Db = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="REGIEKAART_DB",
        help="The store: sqlite:///PATH (relative), sqlite:////PATH (absolute) or postgresql://...",
    ),
]
PolicyPath = Annotated[
    Path,
    typer.Option(
        "--policy",
        envvar="REGIEKAART_POLICY",
        help="The policy file the case runs under, e.g. machines/universeel.yaml.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
CaseId = Annotated[str, typer.Argument(help="The case id (opaque: no personal data).")]

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _logs_to_stderr() -> None:
    """Keep stdout for the output (a script parses ``--json``): log lines go to stderr,
    unless the host has configured structlog itself; their values (a case id) escaped
    as everything else this CLI prints."""
    if not structlog.is_configured():
        structlog.configure(
            processors=[_escape_log_values, *structlog.get_config()["processors"]],
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )


def _escape_log_values(
    _logger: object, _name: str, event: MutableMapping[str, Any]
) -> dict[str, Any]:
    """A structlog processor: every text value of a log line shown, not obeyed."""
    return {key: printable(v) if isinstance(v, str) else v for key, v in event.items()}


case_app.callback()(_logs_to_stderr)
audit_app.callback()(_logs_to_stderr)


def _fail(code: int, message: str) -> NoReturn:
    _err.print(Text(printable(message, multiline=True), style="bold red"))
    raise typer.Exit(code)


def _cell(value: object, *, multiline: bool = False) -> Text:
    """A value for a table cell or a heading: escaped, and never read as markup."""
    return Text(printable(value, multiline=multiline))


def _lines(values: Sequence[object]) -> Text:
    """Values one per line in a cell; a line break inside one is shown escaped."""
    return Text("\n".join(printable(value) for value in values))


def _json_escape(char: str) -> str:
    """``char`` as a JSON ``\\u`` escape (a pair of them above the basic plane)."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _json_text(document: str) -> str:
    """JSON with every invisible character inside a string written as an escape.

    ``json.dumps`` escapes the C0 controls, but leaves a C1 control (``\\x9b`` starts
    an escape sequence on some terminals), a bidi override and a lone surrogate
    (which stdout cannot even encode) as they are. Outside strings JSON holds only
    spaces and the newlines of the indentation.
    """
    if document.isascii():  # the usual case: only DEL is left unescaped by json.dumps
        return document.replace("\x7f", "\\u007f")
    return "".join(
        _json_escape(char)
        if char != "\n" and unicodedata.category(char) in ESCAPED_CATEGORIES
        else char
        for char in document
    )


@contextmanager
def _store(url: str, *, create: bool = False) -> Iterator[CaseStore]:
    """The store, with every store error turned into a message and an exit code.

    Only ``case new`` creates a store (``create=True``); every other command refuses a
    store that is not there, so a mistyped path is an error, not an empty store.
    """
    try:
        with open_store(url, create=create) as store:
            yield store
    except ConcurrencyConflict as exc:
        _fail(EXIT_CONFLICT, f"conflict: {exc}")
    except SnapshotMismatch as exc:
        _fail(EXIT_STORE, f"the stored case does not fit the policy: {exc}")
    except StoreError as exc:
        _fail(EXIT_STORE, f"store error: {exc}")
    except (InvalidIdentifier, InvalidText) as exc:
        _fail(EXIT_INPUT, str(exc))


def _case_id(case_id: str) -> str:
    """The case id argument, refused as bad input (exit 2, shown escaped) before any
    store is opened when no case could have it: an invalid byte from argv, a control
    character, an empty id."""
    try:
        return check_id("case", case_id)
    except InvalidIdentifier as exc:
        _fail(EXIT_INPUT, str(exc))


def _policy(path: Path, dirs: Sequence[Path] | None = None) -> Policy:
    try:
        return load_policy(path, search_path=search_path(dirs))
    except PolicyError as exc:
        _fail(EXIT_INPUT, str(exc))


def _print_json(value: Any) -> None:
    document = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_json_text(document) + "\n")


# -- case new -------------------------------------------------------------------------------


def _members(specs: Sequence[str]) -> list[Member]:
    members = []
    for spec in specs:
        member_id, sep, group = spec.partition(":")
        if not sep or not member_id or not group:
            _fail(EXIT_INPUT, f"--member {spec!r}: write ID:GROUP, e.g. jeugd-1:jeugd")
        members.append(Member(id=member_id, group=group))
    return members


@case_app.command("new")
def new(
    case_id: CaseId,
    db: Db,
    policy_path: PolicyPath,
    actor: Annotated[str, typer.Option(help="The party that registers the case.")],
    member: Annotated[
        list[str] | None,
        typer.Option(help="A household member as ID:GROUP (repeatable); ids are opaque."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why the case is opened (audit trail).")] = "",
    as_json: AsJson = False,
    path: SearchPathOption = None,
) -> None:
    """Open a case under a policy and store it."""
    policy = _policy(policy_path, path)
    try:
        case = Case.create(
            policy, case_id, actor=actor, members=_members(member or []), reason=reason
        )
    except CommandRefused as refusal:
        _refused(refusal, as_json)
    except (InvalidIdentifier, InvalidText) as exc:
        _fail(EXIT_INPUT, str(exc))
    with _store(db, create=True) as store:
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
    try:
        text, source = command_text(spec)
    except PolicyError as exc:
        _fail(EXIT_INPUT, f"cannot read {exc.file}: {exc.message}")
    try:
        return parse_commands(text, source=source)
    except PolicyError as exc:
        _fail(EXIT_INPUT, str(exc))


@case_app.command("send")
def send(
    case_id: CaseId,
    command: Annotated[
        str,
        typer.Argument(
            help='The command as JSON, e.g. \'{"type": "escalate", "actor": "PARTY", '
            '"to": "PHASE", "criteria": ["CRITERION"]}\'; an array is one batch, '
            "applied whole or not at all; - reads stdin, @FILE a file.",
            show_default=False,
        ),
    ],
    db: Db,
    policy_path: PolicyPath,
    retries: Annotated[
        int, typer.Option(min=0, help="Reload and retry this often when another writer was first.")
    ] = 3,
    as_json: AsJson = False,
    path: SearchPathOption = None,
) -> None:
    """Apply a command (or a batch) to a stored case and commit it, or say why not."""
    _case_id(case_id)
    commands = _read_commands(command)
    policy = _policy(policy_path, path)
    with _store(db) as store:
        try:
            events = store.send_all(policy, case_id, commands, retries=retries)
        except CommandRefused as refusal:
            _refused(refusal, as_json)
        info = store.info(case_id)
    if as_json:
        _print_json(
            {
                "accepted": True,
                "case": case_id,
                "version": info.version,
                "events": [unstructure(e) for e in events],
            }
        )
        return
    title = f"case {printable(case_id)}: accepted, now at version {info.version}"
    _out.print(_events_table(title, events))


def _refused(refusal: CommandRefused, as_json: bool) -> NoReturn:
    if as_json:
        _print_json(
            {
                "accepted": False,
                "error": type(refusal).__name__,
                "message": refusal.message,
                "rule": refusal.rule,
                "source": refusal.source,
                "configuration": list(refusal.configuration),
                "command": unstructure_command(refusal.command) if refusal.command else None,
            }
        )
        raise typer.Exit(EXIT_REFUSED)
    _fail(EXIT_REFUSED, f"refused ({type(refusal).__name__}): {refusal}")


def _events_table(title: str, events: Sequence[Event]) -> Table:
    table = Table(title=_cell(title), title_justify="left", show_lines=True)
    for column in ("seq", "command", "rule", "§ source", "after", "hand-overs"):
        table.add_column(column)
    for event in events:
        handovers = [
            f"{h.role}: {', '.join(h.released) or '—'} → {', '.join(h.to) or '—'}"
            for h in event.handovers
        ]
        table.add_row(
            str(event.seq),
            _cell(event.command.type),
            _cell(event.rule),
            _cell(event.source),
            _lines(event.after),
            _lines(handovers),
        )
    return table


# -- case show / list -----------------------------------------------------------------------


@case_app.command("show")
def show(case_id: CaseId, db: Db, as_json: AsJson = False) -> None:
    """The case's phase, configuration and role holders, facts and open obligations."""
    _case_id(case_id)
    with _store(db) as store:
        info = store.info(case_id)
        state = store.state(case_id)
    _show(info, state, as_json)


def _info_json(info: CaseInfo) -> dict[str, Any]:
    return {
        "case": info.case_id,
        "policy": {
            "id": info.policy_id,
            "version": info.policy_version,
            "digest": info.policy_digest,
        },
        "version": info.version,
        "phase": info.phase,
        "closed": info.closed,
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
        "head_hash": info.head_hash,
    }


def _show(info: CaseInfo, state: CaseState, as_json: bool) -> None:
    # The state was checked against the hash chain; the case row's summary columns were
    # not: a row that disagrees is not shown as if it were the case.
    phase = next((s for s in state.configuration if "." not in s), None)
    if (info.phase, info.version) != (phase, state.seq):
        _fail(
            EXIT_STORE,
            f"case {printable(info.case_id)}: the case row disagrees with its chained state; "
            "run regiekaart audit verify",
        )
    if as_json:
        _print_json({**_info_json(info), "state": unstructure(state)})
        return
    heading = Text(f"case {printable(info.case_id)}", style="bold")
    heading.append(printable(f" · phase {info.phase}" + (" (closed)" if info.closed else "")))
    heading.append(
        "\n"
        + printable(
            f"policy {info.policy_id} {info.policy_version} (digest {info.policy_digest})"
            f" · version {info.version} · updated {info.updated_at:%Y-%m-%d %H:%M}"
        ),
        style="dim",
    )
    heading.append("\n" + printable(f"configuration: {', '.join(state.configuration)}"))
    roles = Table(title="Role holders", title_justify="left")
    roles.add_column("role")
    roles.add_column("holders")
    for role, holders in state.roles.items():
        roles.add_row(_cell(role), _cell(", ".join(holders)))
    parts: list[Any] = [heading, roles]
    facts = state.facts
    lines = [f"measure {m.measure} for {m.member}" for m in facts.measures]
    if facts.dominance:
        lines.append(f"dominance {facts.dominance}")
    lines += [f"{flag} (in {phase})" for flag, phase in facts.flags]
    if lines:
        parts.append(_cell("facts: " + "; ".join(lines)))
    if state.obligations:
        duties = Table(title="Open obligations", title_justify="left")
        for column in ("obligation", "inform", "by", "since event"):
            duties.add_column(column)
        for duty in state.obligations:
            duties.add_row(
                _cell(duty.obligation),
                _cell(duty.recipient),
                _cell(", ".join(duty.due_by) or "—"),
                str(duty.since),
            )
        parts.append(duties)
    _out.print(Group(*parts))


@case_app.command("list")
def list_cases(db: Db, as_json: AsJson = False) -> None:
    """Every stored case: policy, version, phase, last change."""
    with _store(db) as store:
        infos = store.cases()
    if as_json:
        _print_json([_info_json(info) for info in infos])
        return
    table = Table(title=f"{len(infos)} cases", title_justify="left")
    for column in ("case", "policy", "version", "phase", "updated"):
        table.add_column(column)
    for info in infos:
        table.add_row(
            _cell(info.case_id),
            _cell(f"{info.policy_id} {info.policy_version}"),
            str(info.version),
            _cell(info.phase + (" (closed)" if info.closed else "")),
            f"{info.updated_at:%Y-%m-%d %H:%M}",
        )
    _out.print(table)


# -- case history ---------------------------------------------------------------------------


@case_app.command("history")
def history(case_id: CaseId, db: Db, as_json: AsJson = False) -> None:
    """The audit trail: who decided what, on which rule and criteria, when, and why.

    The trail is shown even when its hash chain is broken (to find what was changed),
    but then the exit code is 1, as for ``audit verify``."""
    _case_id(case_id)
    with _store(db) as store:
        rows = store.history(case_id)
        events = [row.event() for row in rows]
        report = store.verify(case_id)[0]
    if as_json:
        _print_json(
            {
                "case": case_id,
                "events": [
                    {
                        **row.body,
                        "policy_digest": row.policy_digest,
                        "prev_hash": row.prev_hash,
                        "hash": row.hash,
                    }
                    for row in rows
                ],
                "chain": {
                    "ok": report.ok,
                    "broken_at": None if report.broken is None else report.broken.seq,
                    "detail": None if report.broken is None else report.broken.detail,
                    "head_hash": report.head_hash,
                },
            }
        )
    else:
        _out.print(_history_table(case_id, rows, events))
        if report.broken is None:
            head = printable(report.head_hash)
            _out.print(Text(f"hash chain verified; head {head}", style="green"))
        else:
            _out.print(Text(f"hash chain BROKEN: {printable(report.broken)}", style="bold red"))
    if report.broken is not None:
        raise typer.Exit(EXIT_REFUSED)


def _history_table(case_id: str, rows: Sequence[StoredEvent], events: Sequence[Event]) -> Table:
    title = _cell(f"case {case_id}: audit trail")
    table = Table(title=title, title_justify="left", show_lines=True)
    columns = (
        "seq", "time", "actor", "command", "rule", "§ source", "criteria", "reason",
        "configuration after",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, no_wrap=column in ("seq", "time"))
    for row, event in zip(rows, events, strict=True):
        command = event.command
        actor = command.actor + (f" (+ {', '.join(command.together)})" if command.together else "")
        table.add_row(
            str(row.seq),
            f"{event.at:%Y-%m-%d %H:%M}",
            _cell(actor),
            _cell(_command_summary(command)),
            _cell(event.rule),
            _cell(event.source),
            _cell(", ".join(command.criteria)),
            _cell(command.reason, multiline=True),
            _lines(event.after),
        )
    return table


def _command_summary(command: Command) -> str:
    """The command's type and its own fields (the common ones have columns)."""
    data: Mapping[str, Any] = unstructure_command(command)
    common = {"type", "actor", "together", "criteria", "reason"}
    details = [
        f"{key}={_plain(value)}"
        for key, value in data.items()
        if key not in common and value not in (None, "", [], (), {})
    ]
    return command.type + (f" {' '.join(details)}" if details else "")


def _plain(value: Any) -> str:
    """A field value in a table cell: lists comma-joined, members as ID:GROUP."""
    if isinstance(value, Mapping):
        if set(value) == {"id", "group"}:
            return f"{value['id']}:{value['group']}"
        return ",".join(f"{k}:{_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ",".join(_plain(v) for v in value)
    return str(value)


# -- audit verify ---------------------------------------------------------------------------


@audit_app.command("verify")
def verify(
    db: Db,
    case: Annotated[str | None, typer.Option(help="Check one case only.")] = None,
    policy_paths: Annotated[
        list[Path] | None,
        typer.Option(
            "--policy",
            help="A card to replay under, for cases stored before the store kept its cards "
            "(repeatable).",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Check every case: its hash chain, its snapshot against the chain, and a replay of
    its events under the cards they were decided under; name the first break of each."""
    if case is not None:
        _case_id(case)
    cards = [_policy(path) for path in policy_paths or ()]
    started = time.monotonic()
    with _store(db) as store:
        reports = store.verify(case, cards=cards)
    seconds = time.monotonic() - started
    rate = len(reports) / seconds if seconds > 0 else 0.0
    broken = [r for r in reports if not r.ok]
    if as_json:
        _print_json(
            {
                "ok": not broken,
                "cases": [_report_json(r) for r in reports],
                "seconds": round(seconds, 3),
                "cases_per_second": round(rate, 1),
            }
        )
    else:
        _out.print(_reports_table(reports))
        unreplayed = sum(1 for r in reports if r.ok and not r.replayed)
        summary = (
            f"{_count(len(reports), 'case')}, {len(broken)} broken, "
            f"{unreplayed} not replayed; {seconds:.2f} s ({rate:.0f} cases/s)"
        )
        _out.print(Text(summary, style="bold red" if broken else "bold green"))
    if broken:
        raise typer.Exit(EXIT_REFUSED)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


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
        table.add_row(
            _cell(report.case_id), str(report.events), status, _cell(report.head_hash[:16])
        )
    return table
