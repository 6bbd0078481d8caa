"""The guards of a transition, and the work in progress they judge.

A transition of the card fires only if the acting parties are its deciders, the
criteria invoked are its own, the facts it requires are there, a dominance is named
where it needs one, and every chosen holder (and every holder a step within a state
assigns) is eligible. Each guard is one function
returning the refusal it would give (or ``None``): the compiled chart uses them as its
``cond`` callbacks, and the runtime asks the same functions which one failed, so the
reason a person reads is the reason the chart refused.

May import: ``regiekaart.policy`` and the foundation (besides this package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from regiekaart.errors import (
    CommandRefused,
    CriteriaNotMet,
    HolderRequired,
    IneligibleHolder,
    NotAuthorized,
    PreconditionNotMet,
)
from regiekaart.policy.cardinality import bounds
from regiekaart.policy.criteria import shortfall
from regiekaart.policy.model import Policy, TransitionRule
from regiekaart.runtime import authority, cardinality, roles
from regiekaart.runtime.records import CaseState, Facts

if TYPE_CHECKING:
    from regiekaart.runtime.commands import Command


__all__ = [
    "GUARDS",
    "Guard",
    "Work",
    "criteria",
    "deciders",
    "dominance",
    "first_refusal",
    "holders",
    "passed",
    "preconditions",
]


@attrs.define
class Work:
    """One command being applied: read by guards, written by the chart's actions."""

    policy: Policy
    command: Command
    before: CaseState
    facts: Facts
    rule: TransitionRule | None = None
    chosen: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    assigned: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    roles: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    entered: list[str] = attrs.field(factory=list)
    target: frozenset[str] = frozenset()
    verdicts: dict[str, CommandRefused | None] = attrs.field(factory=dict)
    """What :func:`first_refusal` found per rule, so the guards run once per command."""
    passes: dict[str, int] = attrs.field(factory=dict)
    """How many of :data:`GUARDS` each rule passed before its refusal (see :func:`passed`)."""

    @property
    def groups(self) -> frozenset[str]:
        """The household's member groups: the case's, or those a new case opens with."""
        members = self.before.members or getattr(self.command, "members", ())
        return frozenset(member.group for member in members)

    def refusal(self, cls: type[CommandRefused], message: str) -> CommandRefused:
        """A refusal of ``cls`` citing the rule under way and the configuration."""
        rule = self.rule
        return cls(
            message,
            command=self.command,
            rule=rule.id if rule else "",
            source=rule.source if rule else "",
            configuration=self.before.configuration,
        )


Guard = Callable[[TransitionRule, Work], CommandRefused | None]


def deciders(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """Only the party named as decider may make a transition (§2.3.1-§2.3.4)."""
    command = work.command
    if authority.authorized(
        rule.deciders, command.actor, command.together, work.before.roles, work.policy
    ):
        return None
    who = authority.describe(rule.deciders, work.policy)
    acting = " with ".join(command.parties)
    return work.refusal(NotAuthorized, f"{acting} may not decide this; decided by: {who}")


def criteria(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """The criteria invoked must be the rule's own and meet its expression; the refusal
    names the part that is unmet. A rule that names no criteria accepts any."""
    invoked = work.command.criteria
    if not invoked and rule.requirement is None:
        return None
    table = work.policy.memo("guards.criteria")
    key = (id(rule), tuple(invoked))
    known: tuple[TransitionRule, str | None] | None = table.get(key)
    if known is not None and known[0] is rule:
        unmet = known[1]
    else:
        unmet = _criteria_unmet(rule, key[1])
        if len(table) < _CRITERIA_MEMO:
            table[key] = (rule, unmet)
    return None if unmet is None else work.refusal(CriteriaNotMet, unmet)


_CRITERIA_MEMO = 4096
"""At most this many (rule, criteria) answers are remembered per card: commands choose
their criteria, and a host taking commands from outside must not grow without bound.
Kept per rule object (which the entry holds, so its id is not reused): a rule changed
with ``attrs.evolve`` keeps its id but is another rule."""


def _criteria_unmet(rule: TransitionRule, invoked: tuple[str, ...]) -> str | None:
    """What :func:`criteria` says of ``invoked`` for ``rule``, or ``None``: the same for
    the same criteria, so remembered per card."""
    foreign = [c for c in invoked if c not in rule.criteria]
    if foreign and rule.criteria:
        allowed = ", ".join(rule.criteria)
        return f"{', '.join(foreign)} is not a criterion of this step (its criteria: {allowed})"
    if rule.requirement is None:
        return None
    return shortfall(rule.requirement, frozenset(invoked))


def preconditions(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """Facts the rule requires must have been decided first."""
    policy = work.policy
    leaves = rule.target_state is not None and not work.target & set(policy.measures_in)
    if work.facts.measures and policy.measures_in and leaves:
        return work.refusal(
            PreconditionNotMet,
            "compulsory measures are in force; they must end before the case leaves "
            + ", ".join(policy.measures_in),
        )
    missing = [fact for fact in rule.requires if not work.before.facts.has(fact)]
    if not missing:
        return None
    setters = [f"{d.title} ({d.id})" for d in policy.decisions.values() if d.sets in missing]
    return work.refusal(
        PreconditionNotMet,
        f"requires {', '.join(missing)} first; recorded by the decision: {'; '.join(setters)}",
    )


def dominance(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """A step into the phases where dominance decides roles must name the dominance."""
    if rule.needs_dominance and work.facts.dominance is None:
        options = ", ".join(work.policy.dominance)
        return work.refusal(CriteriaNotMet, f"name the dominant problem (dominance: {options})")
    return None


def holders(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """Chosen holders must be eligible in the target; every required role must be held."""
    policy, target = work.policy, work.target
    for role, parties in work.chosen.items():
        cell = policy.role_cell(target, role)
        if cell is None:
            return work.refusal(
                IneligibleHolder, f"{role} is not held in {', '.join(sorted(target))}"
            )
        if not cell.eligible and tuple(parties) != cell.holders:
            fixed = ", ".join(cell.holders)
            return work.refusal(
                IneligibleHolder, f"the card fixes the holders of {role} here: {fixed}"
            )
        wrong = [p for p in parties if p not in cell.eligible_set]
        if wrong:
            eligible = ", ".join(sorted(cell.eligible_set))
            return work.refusal(
                IneligibleHolder,
                f"{', '.join(wrong)} may not hold {role} here (eligible: {eligible})",
            )
    if rule.target_state is None:
        wrong_assign = _ineligible_assign(work)
        if wrong_assign is not None:
            return wrong_assign
        changed = roles.apply_change(work.before.roles, rule.release, work.assigned, work.chosen)
        projected = roles.settle(policy, changed, target)
    else:
        before = set(work.before.configuration)
        entered = [s for s in target if s not in before] or sorted(target)
        projected = roles.project(
            policy,
            work.before.roles,
            entered,
            target,
            work.facts,
            work.chosen,
            work.assigned,
            work.groups,
        )
    for role, cell in roles.required_roles(policy, target).items():
        if not projected.get(role):
            limits = bounds(policy, cell)
            how_many = "one" if not limits.stated else limits.words()
            return work.refusal(
                HolderRequired,
                f"{role} needs a holder here and none was chosen; choose {how_many} of "
                f"{', '.join(sorted(cell.eligible_set))}",
            )
    return cardinality.refusal(
        policy,
        projected,
        target,
        command=work.command,
        rule=rule.id,
        source=rule.source,
        configuration=work.before.configuration,
    )


def _ineligible_assign(work: Work) -> CommandRefused | None:
    """A step within a state puts the holders its rule assigns in place as they are, so
    each must be eligible in the cell that governs the role here (a chosen holder of
    the same role replaces the assigned one, and is checked as chosen)."""
    policy, target = work.policy, work.target
    for role, parties in work.assigned.items():
        if role in work.chosen:
            continue
        cell = policy.role_cell(target, role)
        if cell is None:
            return work.refusal(
                IneligibleHolder,
                f"the rule assigns {role}, which is not held in {', '.join(sorted(target))}",
            )
        wrong = [p for p in parties if p not in cell.eligible_set]
        if wrong:
            eligible = ", ".join(sorted(cell.eligible_set))
            return work.refusal(
                IneligibleHolder,
                f"the rule assigns {role} to {', '.join(wrong)}, who may not hold it here "
                f"(eligible: {eligible})",
            )
    return None


GUARDS: tuple[Guard, ...] = (deciders, criteria, preconditions, dominance, holders)
"""In order of precedence: the first that fails is the reason given."""


def first_refusal(rule: TransitionRule, work: Work) -> CommandRefused | None:
    """The refusal of the first guard that fails, or ``None`` when the rule may fire.

    Remembered on ``work``: the runtime asks before it sends the chart the event, and
    the chart asks again as the transition's condition — both before any action has
    changed the work, so the answer is the same.
    """
    if rule.id in work.verdicts:
        return work.verdicts[rule.id]
    found: CommandRefused | None = None
    count = 0
    for guard in GUARDS:
        found = guard(rule, work)
        if found is not None:
            break
        count += 1
    work.verdicts[rule.id] = found
    work.passes[rule.id] = count
    return found


def passed(rule: TransitionRule, work: Work) -> int:
    """How many guards ``rule`` passed, in the order of :data:`GUARDS`: how far it got
    towards being taken. ``len(GUARDS)`` when it passed them all.

    A rule refused for its criteria got further than one refused for its deciders: the
    person asking was entitled to ask, and only has to change what they invoke. So of
    several rules that refuse a step, the one that passed most guards is the refusal
    to report.
    """
    first_refusal(rule, work)
    return work.passes[rule.id]
