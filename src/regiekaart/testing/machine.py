"""A hypothesis stateful test for any regiekaart policy, for host systems' own test suites.

A host that embeds :class:`~regiekaart.runtime.case.Case` wants to know that its card, with its
own obligations added, keeps every obligation whatever is sent to a case — commands the
card allows, commands by the wrong party or on the wrong criteria, commands at the wrong
moment and commands that name things the card does not know. :func:`policy_state_machine`
builds that test from the policy alone; one short file in the host's suite runs it::

    from hypothesis import settings
    from regiekaart import load_policy
    from regiekaart.testing import policy_state_machine

    Gemeente = policy_state_machine(load_policy("machines/onze-gemeente.yaml"))
    Gemeente.TestCase.settings = settings(max_examples=300, derandomize=True, deadline=None)
    TestGemeente = Gemeente.TestCase

Each example starts from a situation the card reaches (a short story by the card's own
deciders, mostly opschalen, so that fase 3 and 4 are tested as often as fase 1 and 2),
then applies commands drawn five ways: the commands the situation explorer lists for the
situation (allowed ones and the refusals beside them), allowed ones with a holder the
target cell admits, listed ones with one part replaced (actor, co-deciders, criteria,
holders, dominance), any command of any type at any moment, and commands naming a
party, criterion, phase, role, measure, member, decision or activity the card does not
know (which must be refused as invalid, never crash).

After every step the test checks every invariant of the policy (and the host's extra
ones), that a refused command left the case's snapshot exactly as it was and names the
configuration it was refused in, that a case restored from the previous snapshot answers
the command exactly as the live case did, that restoring the new snapshot gives the same
snapshot (after a refusal the snapshot is the one already restored), and that the command
produced exactly one structlog event with the case id and without the command's
free-text reason.

Checks that search the state space (``path_to``: "vanuit elke situatie een weg terug naar
fase 1") dominate the cost: a step with all its checks takes a few milliseconds, a search
from a situation not met before from tens of milliseconds to seconds (the search remembers
what it proved, so the cost falls during a run). They therefore run at the end of every
example (teardown), and additionally every ``reach_every`` steps when that is set. The
end of the example also replays the event log from the start and compares the result
with the live case.

Hypothesis is imported only by this package: install the ``testing`` extra
(``regiekaart[testing]``). The commands are drawn in :mod:`._commands` over the
strategies of :mod:`._vocabulary`; the checks after each command are in :mod:`._checks`.

May import: ``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.invariants import Invariant, invariants_for, violations
from regiekaart.analysis.situations import default_household
from regiekaart.errors import CaseClosed, CommandRefused, InvalidCommand
from regiekaart.policy.cardinality import bounds
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    Command,
    Deescalate,
    Escalate,
    Member,
)
from regiekaart.runtime.roles import target_configuration
from regiekaart.testing._checks import (
    captured_logs,
    check_log,
    check_refusal,
    check_shadow,
    check_tags,
    report,
    split_invariants,
)
from regiekaart.testing._commands import CommandDraws
from regiekaart.testing._vocabulary import MOVES, REASON, UNKNOWN, draws_for, pick

__all__ = [
    "SEARCH_CHECKS",
    "PolicyStateMachine",
    "policy_state_machine",
    "run_policy_state_machine",
]

SEARCH_CHECKS: frozenset[str] = frozenset({"path_to"})
"""Check kinds that search the state space; they run at teardown (see the module doc)."""

_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class PolicyStateMachine(RuleBasedStateMachine):
    """The rules and checks; :func:`policy_state_machine` binds them to one policy."""

    policy: ClassVar[Policy]
    extra_invariants: ClassVar[tuple[Invariant, ...]] = ()
    members: ClassVar[tuple[Member, ...]] = ()
    opened_by: ClassVar[str] = ""
    reach_every: ClassVar[int] = 0
    check_logs: ClassVar[bool] = True
    search_checks: ClassVar[frozenset[str]] = SEARCH_CHECKS

    def __init__(self) -> None:
        super().__init__()
        policy = self.policy
        self.case_id = "stateful"
        self.steps = 0
        self.now = _START
        own = (*invariants_for(policy), *self.extra_invariants)
        self.cheap, self.costly = split_invariants(own, self.search_checks)
        with captured_logs():
            self.case = Case.create(
                policy,
                self.case_id,
                actor=self.opened_by,
                members=self.members,
                clock=self._clock,
            )
        self.snapshot = self.case.snapshot()
        self.shadow = Case.restore(policy, self.snapshot, clock=self._clock)

    def _clock(self) -> datetime:
        return self.now

    # -- applying one command ------------------------------------------------------------

    def _apply(self, command: Command) -> CommandRefused | None:
        """Apply to the live case and to the restored shadow; both must agree."""
        self.steps += 1
        self.now = _START + timedelta(hours=self.steps)
        before = self.snapshot
        configuration = self.case.configuration
        refusal: CommandRefused | None = None
        event = None
        with captured_logs() as logs:
            try:
                event = self.case.apply(command)
            except CommandRefused as refused:
                refusal = refused
        if self.check_logs:
            check_log(logs, command, self.case_id)
        if event is not None:
            check_tags(self.policy, event, logs if self.check_logs else ())
        after = self.case.snapshot()
        if refusal is not None:
            check_refusal(command, refusal, before, after, configuration)
        check_shadow(self.shadow, command, refusal, after)
        if refusal is None:
            # A refusal leaves the snapshot as it was, and that one was restored already.
            restored = Case.restore(self.policy, after, clock=self._clock)
            again = restored.snapshot()
            assert again == after, f"restoring after {command!r} did not give the same snapshot"
            self.snapshot = after
            self.shadow = restored
        return refusal

    # -- drawing commands ----------------------------------------------------------------

    def _commands(self) -> CommandDraws:
        """The command draws for this step of this case."""
        return CommandDraws(policy=self.policy, members=self.case.state.members, steps=self.steps)

    # -- the rules -----------------------------------------------------------------------

    @initialize(data=st.data())
    def story_so_far(self, data: st.DataObject) -> None:
        """Start from a situation the card reaches: up to six steps by the card's own
        deciders, mostly opschalen and other moves across the card, so that the rules
        below also run deep in fase 3 and 4 and not only near the start."""
        for _ in range(data.draw(st.integers(min_value=0, max_value=6))):
            candidates = enumerate_commands(self.policy, self.case.state, refusals=False)
            up = [c for c in candidates if isinstance(c, Escalate)]
            moves = [c for c in candidates if isinstance(c, MOVES)]
            choice = data.draw(st.integers(0, 3))
            pool = (up if choice == 0 else moves if choice == 1 else candidates) or candidates
            if not pool:
                return
            self._apply(attrs.evolve(pick(data, pool), reason=REASON.format(self.steps)))

    @rule(data=st.data())
    def card_command(self, data: st.DataObject) -> None:
        """A command the card suggests here: allowed ones and the refusals beside them."""
        candidates = enumerate_commands(self.policy, self.case.state)
        if not candidates:
            return
        self._apply(attrs.evolve(pick(data, candidates), reason=REASON.format(self.steps)))

    @rule(data=st.data())
    def allowed_command(self, data: st.DataObject) -> None:
        """A command by the card's own deciders, often with a holder the target cell
        admits: the way deeper into the card and into its holder choices."""
        candidates = enumerate_commands(self.policy, self.case.state, refusals=False)
        if not candidates:
            return
        command = pick(data, candidates)
        cells = self._target_cells(command)
        change_holder: bool = bool(cells) and data.draw(st.booleans())
        if change_holder:
            role = data.draw(st.sampled_from(sorted(cells)))
            choices, most = cells[role]
            group = data.draw(
                st.lists(st.sampled_from(choices), min_size=1, max_size=most, unique=True)
            )
            command = attrs.evolve(command, holders={role: tuple(group)})
        self._apply(attrs.evolve(command, reason=REASON.format(self.steps)))

    def _target_cells(self, command: Command) -> dict[str, tuple[list[str], int]]:
        """Role → the parties its cell admits where ``command`` leads, and how many of
        them to choose at most: one where the card states no bounds on the role's
        holders, else one more than it allows, so a choice may also break the bounds."""
        policy, state = self.policy, self.case.state
        if isinstance(command, Escalate | Deescalate) and command.to in policy.states:
            facts = state.facts
            if command.dominance is not None:
                facts = attrs.evolve(facts, dominance=command.dominance)
            active = target_configuration(policy, command.to, facts)
        elif isinstance(command, ChangeLevel | Appoint):
            active = frozenset(state.configuration)
        else:
            return {}
        cells = {role: policy.role_cell(active, role) for role in policy.roles}
        out = {}
        for role, cell in cells.items():
            if cell and cell.eligible_set:
                limits = bounds(policy, cell)
                most = (limits.most or limits.least) + 1 if limits.stated else 1
                out[role] = (sorted(cell.eligible_set), min(most, len(cell.eligible_set)))
        return out

    @rule(data=st.data())
    def perturbed_command(self, data: st.DataObject) -> None:
        """A suggested command with one part replaced: another actor, co-deciders,
        criteria, holders or dominance — unauthorised or ill-founded versions of it."""
        candidates = enumerate_commands(self.policy, self.case.state)
        if not candidates:
            return
        command = pick(data, candidates)
        part = data.draw(draws_for(self.policy).perturb)
        if part == "dominance":
            if not isinstance(command, Escalate | Deescalate):
                return
            command = attrs.evolve(command, dominance=data.draw(draws_for(self.policy).dominance))
        else:
            command = attrs.evolve(command, **{part: self._commands().part(data, part)})
        self._apply(command)

    @rule(data=st.data())
    def ill_timed_command(self, data: st.DataObject) -> None:
        """Any command of any type, at any moment, by any party."""
        self._apply(self._commands().vocabulary(data))

    @rule(data=st.data())
    def ill_formed_command(self, data: st.DataObject) -> None:
        """A command naming an unknown party, criterion, phase, role, measure …: refused
        as invalid (or because the case is closed), never a crash."""
        closed = self.case.closed
        refusal = self._apply(self._commands().ill_formed(data))
        assert refusal is not None, "an ill-formed command was accepted"
        expected = CaseClosed if closed else InvalidCommand
        assert isinstance(refusal, expected), (
            f"an ill-formed command was refused as {type(refusal).__name__}, "
            f"not {expected.__name__}: {refusal}"
        )

    # -- the checks ----------------------------------------------------------------------

    @invariant()
    def obligations_hold(self) -> None:
        """Every (cheap) invariant of the policy and the host holds after every step."""
        found = [v for inv in self.cheap for v in inv.violations(self.case)]
        if self.reach_every and self.steps and self.steps % self.reach_every == 0:
            with captured_logs():
                found += [v for inv in self.costly for v in inv.violations(self.case)]
        assert not found, report(found)

    @invariant()
    def log_is_append_only(self) -> None:
        """The event log numbers events 1..version without gaps."""
        seqs = [e.seq for e in self.case.events]
        assert seqs == list(range(1, self.case.version + 1)), seqs

    def teardown(self) -> None:
        """Every invariant, including the searching ones; and replay gives the same case."""
        with captured_logs():
            found = violations(self.case, self.extra_invariants)
        assert not found, report(found)
        with captured_logs():
            replayed = Case.replay(self.policy, self.case_id, self.case.events)
        assert replayed.snapshot() == self.case.snapshot(), "replaying the log gave another case"


def policy_state_machine(
    policy: Policy,
    *,
    extra_invariants: Sequence[Invariant] = (),
    members: Sequence[Member] | None = None,
    opened_by: str | None = None,
    reach_every: int = 0,
    check_logs: bool = True,
    search_checks: Collection[str] = SEARCH_CHECKS,
) -> type[PolicyStateMachine]:
    """A hypothesis ``RuleBasedStateMachine`` that drives one case of ``policy``.

    ``extra_invariants`` are the host's own obligations; ``members`` the household (one
    member of every group by default, enough for every measure); ``opened_by`` the party
    that registers the case (the first professional by default). Checks named in
    ``search_checks`` run at teardown and, if ``reach_every`` is positive, every that
    many steps. ``check_logs=False`` skips the structlog check, for hosts that cache
    their loggers on first use (structlog's ``capture_logs`` cannot see those).

    Run it with ``Machine.TestCase`` (set ``Machine.TestCase.settings``) or
    :func:`run_policy_state_machine`; use ``deadline=None``, since a search check can
    take longer than hypothesis' default deadline.
    """
    ids = [p for p in policy.parties if p.startswith(UNKNOWN)]
    if ids:
        raise ValueError(
            f"party ids starting with {UNKNOWN!r} clash with the test's unknown ids: {ids}"
        )
    if opened_by is None:
        professionals = [p.id for p in policy.parties.values() if p.kind == "professional"]
        opened_by = (professionals or list(policy.parties))[0]
    body: dict[str, Any] = {
        "policy": policy,
        "extra_invariants": tuple(extra_invariants),
        "members": tuple(default_household(policy) if members is None else members),
        "opened_by": opened_by,
        "reach_every": reach_every,
        "check_logs": check_logs,
        "search_checks": frozenset(search_checks),
        "__doc__": f"Random command sequences on a case under the policy {policy.id!r}.",
    }
    name = "".join(part.capitalize() for part in policy.id.replace("_", "-").split("-"))
    return type(f"{name}StateMachine", (PolicyStateMachine,), body)


def run_policy_state_machine(
    policy: Policy,
    *,
    settings: hypothesis.settings | None = None,
    extra_invariants: Sequence[Invariant] = (),
    members: Sequence[Member] | None = None,
) -> None:
    """Build and run the state machine of ``policy`` once, as a plain function call."""
    machine = policy_state_machine(policy, extra_invariants=extra_invariants, members=members)
    run_state_machine_as_test(machine, settings=settings or hypothesis.settings(deadline=None))
