"""The verdict on a policy: every obligation, whether it holds, and the story if not.

:func:`verify_policy` runs the whole check a policy officer needs before adopting a
card — loading (JSON Schema and the semantic checks), the exhaustive exploration and
a seeded hypothesis run of the host test kit — and :class:`Report` holds the answer
as one row per obligation, with the counterexample file where one was written.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

import attrs
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from regiekaart.analysis.enumeration import Scope
from regiekaart.analysis.invariants import Invariant
from regiekaart.policy.model import Policy
from regiekaart.terminal import counted
from regiekaart.verify.counterexample import (
    roles_after,
    scenario_document,
    slug,
    tell,
    trace_tags,
    write_scenario,
)
from regiekaart.verify.exhaustive import VERIFY_SCOPE, Progress, explore
from regiekaart.verify.findings import Exploration, Finding

__all__ = [
    "ENTRY_POINT_GROUP",
    "Report",
    "Row",
    "Status",
    "entry_point_invariants",
    "extra_invariants",
    "load_invariants",
    "render",
    "verify_policy",
]

Status = Literal["holds", "violated", "not proven"]

ENTRY_POINT_GROUP = "regiekaart.invariants"
"""Entry point group a host package uses to add invariants to every verification."""


@attrs.frozen
class Row:
    """One obligation of the verdict."""

    check: str
    title: str
    source: str
    status: Status
    detail: str = ""
    story: tuple[str, ...] = ()
    file: str | None = None
    tags: tuple[str, ...] = ()
    """The tags of the steps of the story (and of the rule a finding is about): which
    kinds of step — a calamity, stalled co-operation — lead to the violation."""


@attrs.define
class Report:
    """Everything ``regiekaart verify`` says about one policy."""

    policy: Policy
    exploration: Exploration
    rows: list[Row]
    hypothesis: Row | None = None

    @property
    def passed(self) -> bool:
        """Every obligation holds (a bound hit is *not proven*, so not passed)."""
        rows = [*self.rows, *([self.hypothesis] if self.hypothesis else [])]
        return all(r.status == "holds" for r in rows)

    @property
    def violated(self) -> bool:
        """Some obligation is violated (as opposed to merely not proven)."""
        rows = [*self.rows, *([self.hypothesis] if self.hypothesis else [])]
        return any(r.status == "violated" for r in rows)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able data (``regiekaart verify --json``)."""
        e = self.exploration
        return {
            "policy": {
                "id": self.policy.id,
                "version": self.policy.version,
                "digest": self.policy.digest,
            },
            "passed": self.passed,
            "loaded": True,
            "exploration": {
                "situations": e.situations,
                "commands_tried": e.tried,
                "commands_accepted": e.accepted,
                "seconds": round(e.seconds, 3),
                "situations_per_second": round(e.per_second, 1),
                "workers": e.workers,
                "bound_hit": e.bound_hit,
                "max_states": e.max_states,
                "undetermined": e.undetermined,
                "scope": attrs.asdict(e.scope),
                "states_reached": sorted(e.reached),
                "rules_fired": sorted(e.fired),
            },
            "checks": [attrs.asdict(r) for r in self.rows],
            "hypothesis": attrs.asdict(self.hypothesis) if self.hypothesis else None,
        }


def load_invariants(spec: str) -> list[Invariant]:
    """Invariants from ``package.module:attribute`` (an iterable of Invariant, or a callable
    returning one)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"{spec!r}: give the invariants as package.module:attribute")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{spec!r}: cannot import {module_name}: {exc}") from None
    try:
        value = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{spec!r}: {module_name} has no attribute {attr!r}") from None
    if callable(value) and not isinstance(value, Invariant):
        value = value()
    found = [value] if isinstance(value, Invariant) else list(value)
    wrong = [type(v).__name__ for v in found if not isinstance(v, Invariant)]
    if wrong:
        raise ValueError(f"{spec!r}: not regiekaart.invariants.Invariant: {', '.join(wrong)}")
    return found


def entry_point_invariants() -> list[Invariant]:
    """Invariants installed packages declare under the ``regiekaart.analysis.invariants`` group."""
    out: list[Invariant] = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        out.extend(load_invariants(point.value))
    return out


def verify_policy(
    policy: Policy,
    policy_file: Path,
    *,
    max_states: int = 100_000,
    scope: Scope = VERIFY_SCOPE,
    extra: Sequence[Invariant] = (),
    examples: int = 25,
    out: Path | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Report:
    """Explore ``policy`` exhaustively (over ``workers`` processes), run the seeded
    hypothesis test, and write a scenario file per counterexample into ``out`` (when
    given)."""
    exploration = explore(
        policy,
        scope=scope,
        max_states=max_states,
        extra=extra,
        progress=progress,
        workers=workers,
    )
    rows = [
        _row(policy, policy_file, exploration, check, title, source, out)
        for check, title, source in exploration.checks()
    ]
    hypothesis = _hypothesis(policy, extra, examples) if examples > 0 else None
    return Report(policy=policy, exploration=exploration, rows=rows, hypothesis=hypothesis)


def _row(
    policy: Policy,
    policy_file: Path,
    exploration: Exploration,
    check: str,
    title: str,
    source: str,
    out: Path | None,
) -> Row:
    status = exploration.status(check)
    findings = exploration.findings_for(check)
    if not findings:
        detail = ""
        if status == "not proven":
            detail = _not_proven(exploration)
        return Row(check, title, source, status, detail)
    first = findings[0]
    details = "; ".join(f.detail for f in findings[:3])
    story = tuple(tell(policy, first.trace))
    file = None
    if out is not None and first.trace:
        file = str(
            _write(policy, policy_file, exploration, first, out / f"{slug(check)}.yaml", story)
        )
    tags = set(trace_tags(first.trace))
    rule = policy.transitions.get(first.subject)
    if first.kind == "dead_rule" and rule is not None:
        tags.update(rule.tags)
    return Row(
        check, title, source or first.source, status, details, story, file, tuple(sorted(tags))
    )


def _not_proven(exploration: Exploration) -> str:
    if exploration.bound_hit:
        bound = counted(exploration.max_states, "situation")
        return f"the bound of {bound} was hit before the search ended"
    undetermined = exploration.undetermined
    return f"{counted(undetermined, 'situation')} could not be decided"


def _write(
    policy: Policy,
    policy_file: Path,
    exploration: Exploration,
    finding: Finding,
    path: Path,
    story: Sequence[str],
) -> Path:
    roles = roles_after(policy, exploration.opened_by, exploration.household, finding.trace)
    document = scenario_document(
        policy,
        policy_file,
        path,
        title=finding.title,
        detail=f"{finding.detail} ({finding.source})" if finding.source else finding.detail,
        trace=finding.trace,
        household=exploration.household,
        opened_by=exploration.opened_by,
        roles_after=roles,
    )
    return write_scenario(document, path, [f"Schending: {finding.title}", finding.detail, *story])


def _hypothesis(policy: Policy, extra: Sequence[Invariant], examples: int, steps: int = 15) -> Row:
    """The seeded (derandomized) stateful test of :mod:`regiekaart.testing.machine`."""
    title = f"Random command sequences ({examples} examples, derandomized)"
    try:
        from hypothesis import HealthCheck, settings
        from hypothesis.stateful import run_state_machine_as_test

        from regiekaart.testing.machine import policy_state_machine
    except ImportError:
        return Row(
            "hypothesis",
            title,
            "",
            "not proven",
            "install regiekaart[testing] for the stateful run",
        )
    chosen = settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        stateful_step_count=steps,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    try:
        # The command line filters log levels before any processor runs, so the log
        # check of the test kit cannot see events here; the kit's own tests cover it.
        machine = policy_state_machine(policy, extra_invariants=extra, check_logs=False)
        run_state_machine_as_test(machine, settings=chosen)
    except AssertionError as failure:
        first = str(failure).strip().splitlines()[:6]
        return Row("hypothesis", title, "", "violated", " ".join(first))
    return Row("hypothesis", title, "", "holds")


# -- rendering ----------------------------------------------------------------------------

_STYLE = {"holds": "green", "violated": "bold red", "not proven": "yellow"}


def render(report: Report) -> RenderableType:
    """The terminal report: the exploration's figures, then the summary table and stories."""
    e = report.exploration
    bound = (
        Text(
            f"Bound hit: stopped at {counted(e.max_states, 'situation')}; "
            "what was not violated is NOT PROVEN.",
            style="bold yellow",
        )
        if e.bound_hit
        else Text("Search complete: every reachable situation was explored.", style="green")
    )
    figures = Text(
        f"{report.policy.id} {report.policy.version}: {counted(e.situations, 'situation')}, "
        f"{counted(e.tried, 'command')} tried ({e.accepted} accepted) in {e.seconds:.1f} s "
        f"({e.per_second:.0f} situations/s"
        f"{f', {e.workers} processes' if e.workers > 1 else ''})"
    )
    table = Table(title="Verification", show_lines=False)
    table.add_column("obligation")
    table.add_column("section")
    table.add_column("verdict")
    table.add_column("counterexample")
    rows = [*report.rows, *([report.hypothesis] if report.hypothesis else [])]
    for row in rows:
        table.add_row(
            row.title, row.source, Text(row.status, style=_STYLE[row.status]), row.file or ""
        )
    loaded = Text("Schema and semantic checks: passed (the policy loaded).", style="green")
    parts: list[RenderableType] = [loaded, figures, bound, table]
    for row in rows:
        if row.status == "violated":
            parts.append(Text(f"\n✗ {row.title} ({row.source})", style="bold red"))
            parts.append(Text(f"  {row.detail}"))
            parts.extend(Text(f"  {line}") for line in row.story)
    verdict = "ALL OBLIGATIONS HOLD" if report.passed else "NOT VERIFIED"
    parts.append(Text(verdict, style="bold green" if report.passed else "bold red"))
    return Group(*parts)


def extra_invariants(specs: Iterable[str], *, entry_points_too: bool = True) -> list[Invariant]:
    """The host's invariants: the ``--invariants`` specs and the installed entry points."""
    out = entry_point_invariants() if entry_points_too else []
    for spec in specs:
        out.extend(load_invariants(spec))
    return out
