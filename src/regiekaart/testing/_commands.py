"""Commands drawn for one step of a case: from the policy's vocabulary, or naming what it
does not know.

The state machine asks for a fresh :class:`CommandDraws` at every step, since the
household and the reason text depend on the case and the step.
"""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import strategies as st

from regiekaart.policy.model import Policy
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ExtendMeasure,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
)
from regiekaart.testing._vocabulary import FLAWED_PARTS, PARTS, REASON, UNKNOWN, Draws, draws_for

_MEASURE_KINDS: dict[str, type[ImposeMeasure | EndMeasure | ExpireMeasure | ExtendMeasure]] = {
    "impose_measure": ImposeMeasure,
    "end_measure": EndMeasure,
    "expire": ExpireMeasure,
    "extend": ExtendMeasure,
}
"""The commands about a measure, by type: each names a measure and a member."""


@attrs.frozen(kw_only=True)
class CommandDraws:
    """Draws commands over ``policy`` for a case with ``members``, at step ``steps``."""

    policy: Policy
    members: tuple[Member, ...]
    steps: int

    def _draws(self) -> Draws:
        return draws_for(self.policy)

    def part(self, data: st.DataObject, part: str) -> Any:
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
        return REASON.format(self.steps)

    def _common(self, data: st.DataObject) -> dict[str, Any]:
        """Random actor, co-deciders, criteria and holders, all known to the policy."""
        return {part: self.part(data, part) for part in PARTS}

    def vocabulary(self, data: st.DataObject) -> Command:
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
        if kind in _MEASURE_KINDS and policy.measures:
            measure = data.draw(draws.measure)
            return _MEASURE_KINDS[kind](measure=measure, member=self._member(data), **common)
        if kind == "open":
            return OpenCase(members=self.members, **common)
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

    def ill_formed(self, data: st.DataObject) -> Command:
        """A command that names something the policy does not know."""
        draws = self._draws()
        unknown = data.draw(draws.unknown)
        flaw = data.draw(draws.flaw)
        if flaw in FLAWED_PARTS:
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
        base = self.vocabulary(data)
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
        members = [m.id for m in self.members]
        return data.draw(st.sampled_from(members)) if members else UNKNOWN + "lid"
