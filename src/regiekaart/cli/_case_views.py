"""How ``case`` shows a stored case: rich tables for a person, plain data for ``--json``.

Only formatting lives here; every value is escaped on its way to a cell
(:mod:`regiekaart.cli._escaped`), since a store may hold anything. The tables of many
columns (the events a command added, the audit trail) are stacked, one event at a time,
when the terminal is too narrow for them (:class:`~regiekaart.render.widths.ByWidth`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from regiekaart.cli._escaped import cell, lines
from regiekaart.render.widths import ByWidth, labelled
from regiekaart.runtime.commands import Command, unstructure_command
from regiekaart.runtime.deadlines import Due
from regiekaart.runtime.records import CaseState, Event
from regiekaart.store.audit import ChainReport, StoredEvent
from regiekaart.store.protocol import CaseInfo
from regiekaart.terminal import counted, printable


def info_json(info: CaseInfo) -> dict[str, Any]:
    """The case row as ``--json`` writes it."""
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


EVENTS_WIDTH = 120
"""The narrowest terminal the events a command added are one table in."""

HISTORY_WIDTH = 160
"""The narrowest terminal the audit trail is one table in."""


def events_table(title: str, events: Sequence[Event]) -> ByWidth:
    """The events a command (or batch) added: rule, source, configuration and hand-overs."""
    tagged = any(event.tags for event in events)
    heads = ("seq", "command", "rule", "§ source", "after", "hand-overs", "tags")[: 6 + tagged]
    rows = [_event_row(event)[: len(heads)] for event in events]
    return ByWidth(
        lambda: _wide(cell(title), heads, rows, no_wrap=("seq",)),
        lambda: _stacked(cell(title), heads, rows),
        EVENTS_WIDTH,
    )


def _event_row(event: Event) -> list[Text]:
    handovers = [
        f"{h.role}: {', '.join(h.released) or '—'} → {', '.join(h.to) or '—'}"
        for h in event.handovers
    ]
    return [
        Text(str(event.seq)),
        cell(event.command.type),
        cell(event.rule),
        cell(event.source),
        lines(event.after),
        lines(handovers),
        cell(", ".join(event.tags)),
    ]


def _wide(
    title: Text, heads: Sequence[str], rows: Sequence[Sequence[Text]], no_wrap: Sequence[str]
) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for head in heads:
        table.add_column(head, no_wrap=head in no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _stacked(title: Text, heads: Sequence[str], rows: Sequence[Sequence[Text]]) -> Group:
    """One small table per record, titled by its first field (the event's seq)."""
    parts: list[RenderableType] = [Text.assemble(title, style="bold")]
    width = max(len(head) for head in heads[1:])
    for row in rows:
        fields = [(head, value) for head, value in zip(heads[1:], row[1:], strict=True)]
        shown = [(head, value) for head, value in fields if value.plain]
        parts.append(labelled(Text(f"{heads[0]} {row[0].plain}"), shown, label_width=width))
    return Group(*parts)


def case_view(info: CaseInfo, state: CaseState) -> Group:
    """One case: heading, role holders, facts and open obligations."""
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
        roles.add_row(cell(role), cell(", ".join(holders)))
    parts: list[Any] = [heading, roles]
    facts = state.facts
    found = [
        f"measure {m.measure} for {m.member}"
        + (f" until {m.until:%Y-%m-%d %H:%M}" if m.until else "")
        for m in facts.measures
    ]
    if facts.dominance:
        found.append(f"dominance {facts.dominance}")
    found += [f"{flag} (in {phase})" for flag, phase in facts.flags]
    if found:
        parts.append(cell("facts: " + "; ".join(found)))
    if state.obligations:
        parts.append(_obligations_table(state))
    return Group(*parts)


def _obligations_table(state: CaseState) -> Table:
    duties = Table(title="Open obligations", title_justify="left")
    for column in ("obligation", "inform", "by", "since event"):
        duties.add_column(column)
    for duty in state.obligations:
        duties.add_row(
            cell(duty.obligation),
            cell(duty.recipient),
            cell(", ".join(duty.due_by) or "—"),
            str(duty.since),
        )
    return duties


DUE_WIDTH = 100
"""The narrowest terminal what is due is one table in."""

_STATUS_STYLE = {"overdue": "bold red", "due": "yellow", "upcoming": ""}


def due_table(found: Sequence[tuple[str, Due]], asked: str) -> ByWidth:
    """What is due across cases, one row each, by moment; ``asked`` says at when."""
    title = cell(f"due {asked}: {counted(len(found), 'item')}")
    heads = ("case", "due", "status", "kind", "what", "for", "then")
    rows = [_due_row(case_id, item) for case_id, item in found]
    return ByWidth(
        lambda: _wide(title, heads, rows, no_wrap=("due", "status")),
        lambda: _stacked(title, heads, rows),
        DUE_WIDTH,
    )


def _due_row(case_id: str, item: Due) -> list[Text]:
    whom = item.member or item.recipient
    if item.by:
        whom += f" (by {', '.join(item.by)})"
    return [
        cell(case_id),
        Text(f"{item.at:%Y-%m-%d %H:%M}"),
        Text(item.status, style=_STATUS_STYLE[item.status]),
        Text(item.kind),
        cell(item.what),
        cell(whom or "—"),
        cell(item.action or "—"),
    ]


def due_json(found: Sequence[tuple[str, Due]], at: str) -> dict[str, Any]:
    """What is due across cases as ``--json`` writes it."""
    return {
        "at": at,
        "due": [
            {
                "case": case_id,
                "at": item.at.isoformat(),
                "status": item.status,
                "kind": item.kind,
                "what": item.what,
                "since": None if item.since is None else item.since.isoformat(),
                "member": item.member or None,
                "recipient": item.recipient or None,
                "by": list(item.by),
                "action": item.action or None,
            }
            for case_id, item in found
        ],
    }


def cases_table(infos: Sequence[CaseInfo]) -> Table:
    """Every stored case, one row each."""
    table = Table(title=counted(len(infos), "case"), title_justify="left")
    for column in ("case", "policy", "version", "phase", "updated"):
        table.add_column(column)
    for info in infos:
        table.add_row(
            cell(info.case_id),
            cell(f"{info.policy_id} {info.policy_version}"),
            str(info.version),
            cell(info.phase + (" (closed)" if info.closed else "")),
            f"{info.updated_at:%Y-%m-%d %H:%M}",
        )
    return table


def history_table(case_id: str, rows: Sequence[StoredEvent], events: Sequence[Event]) -> ByWidth:
    """The audit trail: who decided what, on which rule and criteria, when, and why."""
    title = cell(f"case {case_id}: audit trail")
    tagged = any(event.tags for event in events)
    heads = (
        "seq", "time", "actor", "command", "rule", "§ source", "criteria",
        *(("tags",) if tagged else ()), "reason", "configuration after",
    )  # fmt: skip
    cells = [_history_row(row, event, tagged) for row, event in zip(rows, events, strict=True)]
    return ByWidth(
        lambda: _wide(title, heads, cells, no_wrap=("seq", "time")),
        lambda: _stacked(title, heads, cells),
        HISTORY_WIDTH,
    )


def _history_row(row: StoredEvent, event: Event, tagged: bool) -> list[Text]:
    command = event.command
    actor = command.actor + (f" (+ {', '.join(command.together)})" if command.together else "")
    return [
        Text(str(row.seq)),
        Text(f"{event.at:%Y-%m-%d %H:%M}"),
        cell(actor),
        cell(_command_summary(command)),
        cell(event.rule),
        cell(event.source),
        cell(", ".join(command.criteria)),
        *([cell(", ".join(event.tags))] if tagged else []),
        cell(command.reason, multiline=True),
        lines(event.after),
    ]


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


def history_json(case_id: str, rows: Sequence[StoredEvent], report: ChainReport) -> dict[str, Any]:
    """The audit trail as ``--json`` writes it: each stored row and the chain's verdict."""
    return {
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
