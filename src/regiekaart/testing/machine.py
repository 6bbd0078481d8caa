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

Hypothesis is imported only here: install the ``testing`` extra (``regiekaart[testing]``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

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
from structlog.testing import capture_logs

from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.invariants import Invariant, Violation, invariants_for, violations
from regiekaart.analysis.situations import default_household
from regiekaart.errors import CaseClosed, CommandRefused, InvalidCommand
from regiekaart.policy.model import Policy
from regiekaart.runtime.case import Case
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.roles import target_configuration
from regiekaart.runtime.snapshot import Snapshot

__all__ = [
    "SEARCH_CHECKS",
    "PolicyStateMachine",
    "policy_state_machine",
    "run_policy_state_machine",
]

SEARCH_CHECKS: frozenset[str] = frozenset({"path_to"})
"""Check kinds that search the state space; they run at teardown (see the module doc)."""

_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_UNKNOWN = "onbekend-"
"""Prefix of the ids the ill-formed commands use; no policy id should start with it."""
_REASON = "vrije tekst met persoonsgegevens {}"
"""The free-text reason every generated command carries; it must never reach a log."""


def _split(
    invariants: Sequence[Invariant], search: Collection[str]
) -> tuple[tuple[Invariant, ...], tuple[Invariant, ...]]:
    """The invariants with only their cheap checks, and with only their search checks."""
    cheap: list[Invariant] = []
    costly: list[Invariant] = []
    for inv in invariants:
        fast = tuple(c for c in inv.checks if c[0] not in search)
        slow = tuple(c for c in inv.checks if c[0] in search)
        if fast:
            cheap.append(attrs.evolve(inv, checks=fast))
        if slow:
            costly.append(attrs.evolve(inv, checks=slow))
    return tuple(cheap), tuple(costly)


def _report(found: Sequence[Violation]) -> str:
    return "; ".join(f"{v.invariant} [{v.check}]: {v}" for v in found)


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
        self.cheap, self.costly = _split(own, self.search_checks)
        with capture_logs():
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
        with capture_logs() as logs:
            try:
                self.case.apply(command)
            except CommandRefused as refused:
                refusal = refused
        self._check_log(logs, command)
        after = self.case.snapshot()
        if refusal is not None:
            assert after == before, (
                f"refused {command!r} ({type(refusal).__name__}: {refusal}) changed the case"
            )
            assert refusal.command is command, "a refusal keeps the refused command"
            assert refusal.configuration == configuration, (
                f"{type(refusal).__name__} names {refusal.configuration}, the case was in "
                f"{configuration}"
            )
        self._check_shadow(command, refusal, after)
        if refusal is None:
            # A refusal leaves the snapshot as it was, and that one was restored already.
            restored = Case.restore(self.policy, after, clock=self._clock)
            again = restored.snapshot()
            assert again == after, f"restoring after {command!r} did not give the same snapshot"
            self.snapshot = after
            self.shadow = restored
        return refusal

    def _check_log(self, logs: Sequence[MutableMapping[str, Any]], command: Command) -> None:
        if not self.check_logs:
            return
        assert len(logs) == 1, f"{command!r} gave {len(logs)} log events, not one"
        entry = logs[0]
        assert entry["event"] in ("command.accepted", "command.refused"), entry
        assert entry.get("case") == self.case_id, f"log event without the case id: {entry}"
        assert "reason" not in entry, f"the free-text reason was logged: {entry}"
        if command.reason:
            leaked = [k for k, v in entry.items() if command.reason in str(v)]
            assert not leaked, f"the reason text reached the log in {leaked}: {entry}"

    def _check_shadow(
        self, command: Command, refusal: CommandRefused | None, after: Snapshot
    ) -> None:
        """A restored case must answer exactly as the live one did."""
        shadow_refusal: CommandRefused | None = None
        with capture_logs():
            try:
                self.shadow.apply(command)
            except CommandRefused as refused:
                shadow_refusal = refused
        if refusal is None:
            assert shadow_refusal is None, (
                f"the live case accepted {command!r}, the restored one refused it: {shadow_refusal}"
            )
            assert self.shadow.snapshot() == after, (
                f"the live and the restored case differ after {command!r}"
            )
        else:
            assert shadow_refusal is not None, (
                f"the live case refused {command!r} ({refusal}), the restored one accepted it"
            )
            assert (type(shadow_refusal), shadow_refusal.rule) == (type(refusal), refusal.rule), (
                f"live refusal {type(refusal).__name__} ({refusal.rule}) differs from the "
                f"restored case's {type(shadow_refusal).__name__} ({shadow_refusal.rule})"
            )

    # -- drawing commands ----------------------------------------------------------------

    def _draws(self) -> _Draws:
        return _draws_for(self.policy)

    def _part(self, data: st.DataObject, part: str) -> Any:
        """One random part of a command, every id known to the policy."""
        draws = self._draws()
        if part == "actor":
            return data.draw(draws.party)
        if part == "together":
            return tuple(data.draw(draws.parties))
        if part == "criteria":
            return tuple(data.draw(draws.criteria))
        if part == "holders":
            if not data.draw(st.booleans()):
                return {}
            role = data.draw(draws.role)
            return {role: tuple(data.draw(draws.holders[role]))}
        return _REASON.format(self.steps)

    def _common(self, data: st.DataObject) -> dict[str, Any]:
        """Random actor, co-deciders, criteria and holders, all known to the policy."""
        return {part: self._part(data, part) for part in _PARTS}

    def _vocabulary(self, data: st.DataObject) -> Command:
        """Any command type, every id drawn from the policy's own vocabulary."""
        common = self._common(data)
        kind = data.draw(self._draws().kind)
        moving = self._moving(data, kind, common)
        return moving if moving is not None else self._recording(data, kind, common)

    def _moving(self, data: st.DataObject, kind: str, common: dict[str, Any]) -> Command | None:
        """A command of ``kind`` that opens, moves or closes the case or changes its
        measures; None for any other kind (and for a measure when the policy has none)."""
        policy, draws = self.policy, self._draws()
        if kind in ("escalate", "deescalate"):
            cls = Escalate if kind == "escalate" else Deescalate
            return cls(to=data.draw(draws.state), dominance=data.draw(draws.dominance), **common)
        if kind == "change":
            return ChangeLevel(direction=data.draw(draws.direction), **common)
        if kind in ("impose_measure", "end_measure") and policy.measures:
            measure = data.draw(draws.measure)
            cls_m = ImposeMeasure if kind == "impose_measure" else EndMeasure
            return cls_m(measure=measure, member=self._member(data), **common)
        if kind == "open":
            return OpenCase(members=self.case.state.members, **common)
        if kind == "close":
            return CloseCase(**common)
        return None

    def _recording(self, data: st.DataObject, kind: str, common: dict[str, Any]) -> Command:
        """A command of ``kind`` that leaves the case's states and measures as they are
        (decisions, appointments, informing, advice, meldingen); a signal for any other
        kind, including a decision when the policy has none."""
        policy, draws = self.policy, self._draws()
        if kind == "decision" and policy.decisions:
            return RecordDecision(decision=data.draw(draws.decision), **common)
        if kind == "appoint":
            return Appoint(role=data.draw(draws.role), **common)
        if kind == "inform":
            return Inform(recipient=data.draw(draws.party), **common)
        if kind == "advice":
            return RecordAdvice(adviser=data.draw(draws.party), **common)
        if kind == "melding":
            return Melding(to=data.draw(st.none() | draws.party), **common)
        return Signal(**common)

    def _ill_formed(self, data: st.DataObject) -> Command:
        """A command that names something the policy does not know."""
        draws = self._draws()
        unknown = data.draw(draws.unknown)
        flaw = data.draw(draws.flaw)
        if flaw in _FLAWED_PARTS:
            return self._flawed_part(data, flaw, unknown)
        common = self._common(data)
        if flaw == "phase":
            return Escalate(to=unknown, **common)
        if flaw == "dominance":
            return Deescalate(to=data.draw(draws.state), dominance=unknown, **common)
        if flaw == "measure":
            return ImposeMeasure(measure=unknown, member=self._member(data), **common)
        if flaw == "member":
            measure = data.draw(draws.measure) if self.policy.measures else unknown
            return EndMeasure(measure=measure, member=unknown, **common)
        named: dict[str, Command] = {
            "decision": RecordDecision(decision=unknown, **common),
            "activity": Signal(activity=unknown, **common),
            "appoint": Appoint(role=unknown, **common),
        }
        return named.get(flaw) or Inform(recipient=unknown, **common)

    def _flawed_part(self, data: st.DataObject, flaw: str, unknown: str) -> Command:
        """Any command with one common part naming something unknown."""
        base = self._vocabulary(data)
        if flaw == "actor":
            return attrs.evolve(base, actor=unknown)
        if flaw == "together":
            return attrs.evolve(base, together=(*base.together, unknown))
        if flaw == "criterion":
            return attrs.evolve(base, criteria=(*base.criteria, unknown))
        if flaw == "role":
            return attrs.evolve(base, holders={unknown: (base.actor,)})
        role = data.draw(self._draws().role)
        return attrs.evolve(base, holders={role: (unknown,) if flaw == "holder" else ()})

    def _member(self, data: st.DataObject) -> str:
        members = [m.id for m in self.case.state.members]
        return data.draw(st.sampled_from(members)) if members else _UNKNOWN + "lid"

    # -- the rules -----------------------------------------------------------------------

    @initialize(data=st.data())
    def story_so_far(self, data: st.DataObject) -> None:
        """Start from a situation the card reaches: up to six steps by the card's own
        deciders, mostly opschalen and other moves across the card, so that the rules
        below also run deep in fase 3 and 4 and not only near the start."""
        for _ in range(data.draw(st.integers(min_value=0, max_value=6))):
            candidates = enumerate_commands(self.policy, self.case.state, refusals=False)
            up = [c for c in candidates if isinstance(c, Escalate)]
            moves = [c for c in candidates if isinstance(c, _MOVES)]
            choice = data.draw(st.integers(0, 3))
            pool = (up if choice == 0 else moves if choice == 1 else candidates) or candidates
            if not pool:
                return
            self._apply(attrs.evolve(_pick(data, pool), reason=_REASON.format(self.steps)))

    @rule(data=st.data())
    def card_command(self, data: st.DataObject) -> None:
        """A command the card suggests here: allowed ones and the refusals beside them."""
        candidates = enumerate_commands(self.policy, self.case.state)
        if not candidates:
            return
        self._apply(attrs.evolve(_pick(data, candidates), reason=_REASON.format(self.steps)))

    @rule(data=st.data())
    def allowed_command(self, data: st.DataObject) -> None:
        """A command by the card's own deciders, often with a holder the target cell
        admits: the way deeper into the card and into its holder choices."""
        candidates = enumerate_commands(self.policy, self.case.state, refusals=False)
        if not candidates:
            return
        command = _pick(data, candidates)
        cells = self._target_cells(command)
        change_holder: bool = bool(cells) and data.draw(st.booleans())
        if change_holder:
            role = data.draw(st.sampled_from(sorted(cells)))
            holder = data.draw(st.sampled_from(cells[role]))
            command = attrs.evolve(command, holders={role: (holder,)})
        self._apply(attrs.evolve(command, reason=_REASON.format(self.steps)))

    def _target_cells(self, command: Command) -> dict[str, list[str]]:
        """Role → the parties its cell admits where ``command`` leads."""
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
        return {
            role: sorted(cell.eligible_set)
            for role, cell in cells.items()
            if cell and cell.eligible_set
        }

    @rule(data=st.data())
    def perturbed_command(self, data: st.DataObject) -> None:
        """A suggested command with one part replaced: another actor, co-deciders,
        criteria, holders or dominance — unauthorised or ill-founded versions of it."""
        candidates = enumerate_commands(self.policy, self.case.state)
        if not candidates:
            return
        command = _pick(data, candidates)
        part = data.draw(self._draws().perturb)
        if part == "dominance":
            if not isinstance(command, Escalate | Deescalate):
                return
            command = attrs.evolve(command, dominance=data.draw(self._draws().dominance))
        else:
            command = attrs.evolve(command, **{part: self._part(data, part)})
        self._apply(command)

    @rule(data=st.data())
    def ill_timed_command(self, data: st.DataObject) -> None:
        """Any command of any type, at any moment, by any party."""
        self._apply(self._vocabulary(data))

    @rule(data=st.data())
    def ill_formed_command(self, data: st.DataObject) -> None:
        """A command naming an unknown party, criterion, phase, role, measure …: refused
        as invalid (or because the case is closed), never a crash."""
        closed = self.case.closed
        refusal = self._apply(self._ill_formed(data))
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
            with capture_logs():
                found += [v for inv in self.costly for v in inv.violations(self.case)]
        assert not found, _report(found)

    @invariant()
    def log_is_append_only(self) -> None:
        """The event log numbers events 1..version without gaps."""
        seqs = [e.seq for e in self.case.events]
        assert seqs == list(range(1, self.case.version + 1)), seqs

    def teardown(self) -> None:
        """Every invariant, including the searching ones; and replay gives the same case."""
        with capture_logs():
            found = violations(self.case, self.extra_invariants)
        assert not found, _report(found)
        with capture_logs():
            replayed = Case.replay(self.policy, self.case_id, self.case.events)
        assert replayed.snapshot() == self.case.snapshot(), "replaying the log gave another case"


def _pick(data: st.DataObject, candidates: Sequence[Command]) -> Command:
    """One of ``candidates``: first what to do (the command type and where to), then how.

    The explorer lists a step once per holder choice; drawing among the steps first
    keeps a step with many holder choices (the calamity into fase 4) from crowding out
    the others.
    """
    groups: dict[tuple[object, ...], list[Command]] = {}
    for command in candidates:
        key = (command.type, *(getattr(command, f, None) for f in _WHAT))
        groups.setdefault(key, []).append(command)
    keys = list(groups)
    chosen = groups[keys[data.draw(st.integers(0, len(keys) - 1))]]
    return chosen[data.draw(st.integers(0, len(chosen) - 1))]


_DIRECTIONS: tuple[Literal["up", "down"], ...] = ("up", "down")

_WHAT = ("to", "direction", "decision", "measure", "member", "role", "recipient")

_MOVES = (Escalate, Deescalate, ChangeLevel, RecordDecision)
"""Commands that move the case across the card (a decision may be what a move needs)."""

_PARTS = ("actor", "together", "criteria", "holders", "reason")


@attrs.frozen
class _Draws:
    """The strategies over one policy's vocabulary, built once per policy."""

    party: st.SearchStrategy[str]
    parties: st.SearchStrategy[list[str]]
    holders: Mapping[str, st.SearchStrategy[list[str]]]
    """Per role: parties some cell of the card admits for it, or any party."""
    criteria: st.SearchStrategy[list[str]]
    role: st.SearchStrategy[str]
    state: st.SearchStrategy[str]
    dominance: st.SearchStrategy[str | None]
    measure: st.SearchStrategy[str]
    decision: st.SearchStrategy[str]
    kind: st.SearchStrategy[str]
    direction: st.SearchStrategy[Literal["up", "down"]]
    flaw: st.SearchStrategy[str]
    perturb: st.SearchStrategy[str]
    unknown: st.SearchStrategy[str]


_DRAWS: dict[tuple[str, str], _Draws] = {}


def _draws_for(policy: Policy) -> _Draws:
    key = (policy.id, policy.digest)
    found = _DRAWS.get(key)
    if found is not None:
        return found
    party = st.sampled_from(sorted(policy.parties))
    criteria = sorted(policy.criteria)
    made = _Draws(
        party=party,
        parties=st.lists(party, max_size=2, unique=True),
        holders={
            role: st.lists(_admitted(policy, role) | party, min_size=1, max_size=2, unique=True)
            for role in policy.roles
        },
        criteria=st.lists(st.sampled_from(criteria), max_size=2, unique=True)
        if criteria
        else st.just([]),
        role=st.sampled_from(sorted(policy.roles)),
        state=st.sampled_from(sorted(policy.states)),
        dominance=st.none() | st.sampled_from(sorted(policy.dominance))
        if policy.dominance
        else st.none(),
        measure=st.sampled_from(sorted(policy.measures) or [_UNKNOWN + "maatregel"]),
        decision=st.sampled_from(sorted(policy.decisions) or [_UNKNOWN + "besluit"]),
        kind=st.sampled_from(sorted(_KINDS)),
        direction=st.sampled_from(_DIRECTIONS),
        flaw=st.sampled_from(sorted(_FLAWS)),
        perturb=st.sampled_from(["actor", "together", "criteria", "holders", "dominance"]),
        unknown=st.sampled_from([_UNKNOWN + s for s in ("x", "partij", "fase9", "rol")]),
    )
    _DRAWS[key] = made
    return made


def _admitted(policy: Policy, role: str) -> st.SearchStrategy[str]:
    """The parties any cell of the card admits for ``role`` (so that holder choices are
    often plausible and reach the card's corners), or any party if none is named."""
    admitted = sorted(
        {
            p
            for state in policy.states.values()
            if role in state.roles
            for p in state.roles[role].eligible_set
        }
    )
    return st.sampled_from(admitted) if admitted else st.sampled_from(sorted(policy.parties))


_KINDS = frozenset(
    {
        "escalate",
        "deescalate",
        "change",
        "impose_measure",
        "end_measure",
        "decision",
        "appoint",
        "inform",
        "advice",
        "melding",
        "signal",
        "open",
        "close",
    }
)
_FLAWED_PARTS = frozenset({"actor", "together", "criterion", "role", "holder", "no-holders"})
_FLAWS = frozenset(
    {
        "actor",
        "together",
        "criterion",
        "role",
        "holder",
        "no-holders",
        "phase",
        "dominance",
        "measure",
        "member",
        "decision",
        "activity",
        "appoint",
        "recipient",
    }
)


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
    ids = [p for p in policy.parties if p.startswith(_UNKNOWN)]
    if ids:
        raise ValueError(
            f"party ids starting with {_UNKNOWN!r} clash with the test's unknown ids: {ids}"
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
